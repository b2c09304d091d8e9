#!/usr/bin/env bash
# group: rw io vmstate
# write -b / read -b: VM state
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc _io -c 'write -b -P 0x12 0 4k' -c 'read -b -P 0x12 0 4k'

echo "*** done"
