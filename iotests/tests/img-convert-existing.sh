#!/usr/bin/env bash
# group: img convert
# convert -n into an existing image
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0x2c 0 1M' >/dev/null
TEST_IMG=$TEST_DIR/dst.$IMGFMT _make_test_img 1M >/dev/null
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0x2d 0 1M' "$TEST_DIR/dst.$IMGFMT" >/dev/null
_rc "$QEMU_IMG" convert -n -f "$IMGFMT" -O "$IMGFMT" "$TEST_IMG" "$TEST_DIR/dst.$IMGFMT"
"$QEMU_IO" -f "$IMGFMT" -c 'read -P 0x2c 0 1M' "$TEST_DIR/dst.$IMGFMT"

echo "*** done"
