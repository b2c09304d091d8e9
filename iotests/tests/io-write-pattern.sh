#!/usr/bin/env bash
# group: quick rw io
# write -P then read -P with the same and another pattern
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0xab 0 64k' -c 'read -P 0xab 0 64k' -c 'read -P 0 64k 64k'
echo "--- wrong pattern"
_rc _io -c 'read -P 0xac 0 64k'

echo "*** done"
