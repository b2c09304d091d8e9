#!/usr/bin/env bash
# group: rw io
# read -s/-l checks the pattern over a part of the request
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0x77 4k 4k'
_io -c 'read -P 0x77 -s 4k -l 4k 0 12k' -c 'read -P 0 -s 0 -l 4k 0 12k'
_rc _io -c 'read -P 0x77 -s 0 -l 8k 0 12k'

echo "*** done"
