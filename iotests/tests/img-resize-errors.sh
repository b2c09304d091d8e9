#!/usr/bin/env bash
# group: img resize error
# resize -q and errors
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc "$QEMU_IMG" resize -q -f "$IMGFMT" "$TEST_IMG" 2M
_io -c length
_rc "$QEMU_IMG" resize -f "$IMGFMT" "$TEST_IMG" abc
_rc "$QEMU_IMG" resize -f "$IMGFMT" "$TEST_DIR/missing" 1M
_rc "$QEMU_IMG" resize -f "$IMGFMT" "$TEST_IMG"
_rc "$QEMU_IMG" resize -f "$IMGFMT" --shrink "$TEST_IMG" -- -4M
_rc "$QEMU_IMG" resize -f "$IMGFMT" --preallocation=bogus "$TEST_IMG" 3M

echo "*** done"
