#!/usr/bin/env bash
# group: img compare error
# compare errors: missing image, too few arguments
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc "$QEMU_IMG" compare -f "$IMGFMT" "$TEST_IMG" "$TEST_DIR/missing"
_rc "$QEMU_IMG" compare "$TEST_IMG"
_rc "$QEMU_IMG" compare -Y "$TEST_IMG" "$TEST_IMG"

echo "*** done"
