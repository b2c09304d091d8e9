#!/usr/bin/env bash
# group: quick img resize
# resize: grow by absolute and relative sizes
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 5 0 1M' >/dev/null
_rc _img resize 2M 2>/dev/null || true
"$QEMU_IMG" resize -f "$IMGFMT" "$TEST_IMG" 2M
"$QEMU_IMG" resize -f "$IMGFMT" "$TEST_IMG" +1M
_io -c length -c 'read -P 5 0 1M' -c 'read -P 0 1M 2M'

echo "*** done"
