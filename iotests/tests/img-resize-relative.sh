#!/usr/bin/env bash
# group: img resize
# resize with +SIZE and -SIZE
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc "$QEMU_IMG" resize -f "$IMGFMT" "$TEST_IMG" +512k
_io -c length
_rc "$QEMU_IMG" resize -f "$IMGFMT" --shrink "$TEST_IMG" -- -1M
_io -c length
_rc "$QEMU_IMG" resize -f "$IMGFMT" --shrink "$TEST_IMG" -- -1M

echo "*** done"
