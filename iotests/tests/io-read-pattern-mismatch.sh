#!/usr/bin/env bash
# group: quick rw io
# Pattern mismatch reports the first differing offset
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0x5a 0 8k' -c 'write -P 0x5b 4608 1'
_rc _io -c 'read -P 0x5a 0 8k'
_rc _io -c 'read -P 0x5a 0 4608'

echo "*** done"
