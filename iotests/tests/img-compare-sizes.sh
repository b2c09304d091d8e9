#!/usr/bin/env bash
# group: img compare
# compare: images of different sizes
. "$IOTESTS/common.rc"

_make_test_img 1M
TEST_IMG=$TEST_DIR/big.$IMGFMT _make_test_img 2M
_rc "$QEMU_IMG" compare -f "$IMGFMT" -F "$IMGFMT" "$TEST_IMG" "$TEST_DIR/big.$IMGFMT"
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 3 1536k 512' "$TEST_DIR/big.$IMGFMT" >/dev/null
_rc "$QEMU_IMG" compare -f "$IMGFMT" -F "$IMGFMT" "$TEST_IMG" "$TEST_DIR/big.$IMGFMT"

echo "*** done"
