#!/usr/bin/env bash
# group: img compare
# compare: the first differing offset
. "$IOTESTS/common.rc"

_make_test_img 1M
cp "$TEST_IMG" "$TEST_DIR/b.$IMGFMT"
_io -c 'write -P 1 0 64k' >/dev/null
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 1 0 64k' -c 'write -P 2 12800 1' "$TEST_DIR/b.$IMGFMT" >/dev/null
_rc "$QEMU_IMG" compare -f "$IMGFMT" -F "$IMGFMT" "$TEST_IMG" "$TEST_DIR/b.$IMGFMT"
_rc "$QEMU_IMG" compare -q -f "$IMGFMT" -F "$IMGFMT" "$TEST_IMG" "$TEST_DIR/b.$IMGFMT"

echo "*** done"
