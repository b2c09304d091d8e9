#!/usr/bin/env bash
# group: img compare zero
# compare: a fresh image and one full of written zeroes are identical
. "$IOTESTS/common.rc"

_make_test_img 1M
TEST_IMG=$TEST_DIR/z.$IMGFMT _make_test_img 1M >/dev/null
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0 0 1M' "$TEST_DIR/z.$IMGFMT" >/dev/null
_rc "$QEMU_IMG" compare -f "$IMGFMT" -F "$IMGFMT" "$TEST_IMG" "$TEST_DIR/z.$IMGFMT"

echo "*** done"
