#!/usr/bin/env bash
# group: img resize
# resize: shrinking needs --shrink; data below stays
. "$IOTESTS/common.rc"

_make_test_img 2M
_io -c 'write -P 5 0 2M' >/dev/null
_rc "$QEMU_IMG" resize -f "$IMGFMT" "$TEST_IMG" 1M
_rc "$QEMU_IMG" resize -f "$IMGFMT" --shrink "$TEST_IMG" 1M
_rc "$QEMU_IMG" resize -f "$IMGFMT" --shrink "$TEST_IMG" -- -512k
_io -c length -c 'read -P 5 0 512k'

echo "*** done"
