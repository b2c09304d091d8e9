#!/usr/bin/env bash
# group: quick img compare
# compare: identical images
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 64k' >/dev/null
cp "$TEST_IMG" "$TEST_DIR/copy.$IMGFMT"
_rc "$QEMU_IMG" compare -f "$IMGFMT" -F "$IMGFMT" "$TEST_IMG" "$TEST_DIR/copy.$IMGFMT"
_rc "$QEMU_IMG" compare -q -f "$IMGFMT" -F "$IMGFMT" "$TEST_IMG" "$TEST_DIR/copy.$IMGFMT"

echo "*** done"
