#!/usr/bin/env bash
# group: img convert error
# convert -q and errors
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc "$QEMU_IMG" convert -q -f "$IMGFMT" -O "$IMGFMT" "$TEST_IMG" "$TEST_DIR/q.$IMGFMT"
_rc "$QEMU_IMG" convert -f "$IMGFMT" -O nosuchfmt "$TEST_IMG" "$TEST_DIR/x"
_rc "$QEMU_IMG" convert -f "$IMGFMT" -O "$IMGFMT" "$TEST_DIR/missing" "$TEST_DIR/x"
_rc "$QEMU_IMG" convert -f "$IMGFMT" "$TEST_IMG"
_rc "$QEMU_IMG" convert -Y "$TEST_IMG" "$TEST_DIR/x"

echo "*** done"
