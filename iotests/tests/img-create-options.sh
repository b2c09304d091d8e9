#!/usr/bin/env bash
# group: img create
# create: -o size=, -q
. "$IOTESTS/common.rc"

_rc "$QEMU_IMG" create -f "$IMGFMT" -o size=2M "$TEST_IMG"
_io -c length
_rc "$QEMU_IMG" create -q -f "$IMGFMT" "$TEST_IMG" 3M
_io -c length

echo "*** done"
