#!/usr/bin/env bash
# group: img create error
# create: the size given twice (-o size= and an argument)
. "$IOTESTS/common.rc"

_rc "$QEMU_IMG" create -q -f "$IMGFMT" "$TEST_IMG" 3M
_rc "$QEMU_IMG" create -f "$IMGFMT" -o size=2M "$TEST_IMG" 4M
_io -c length

echo "*** done"
