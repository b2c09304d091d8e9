#!/usr/bin/env bash
# group: img map error
# map errors
. "$IOTESTS/common.rc"

_rc "$QEMU_IMG" map -f "$IMGFMT" "$TEST_DIR/missing"
_rc "$QEMU_IMG" map --output=xml "$TEST_DIR/missing"
_rc "$QEMU_IMG" map

echo "*** done"
