#!/usr/bin/env bash
# group: quick io
# sleep waits and prints nothing
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc _io -c 'sleep 10' -c 'length'
_rc _io -c 'sleep abc'

echo "*** done"
