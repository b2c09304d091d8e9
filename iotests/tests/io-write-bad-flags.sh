#!/usr/bin/env bash
# group: io error
# write -n (no allocation) and write -u without -z
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc _io -c 'write -u 0 4k'
_rc _io -c 'write -c -z 0 4k'
_rc _io -c 'write -P 1 -z 0 4k'
_rc _io -c 'write -s /nonexistent 0 4k'

echo "*** done"
