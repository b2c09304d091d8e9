#!/usr/bin/env bash
# group: io error
# The failure of an earlier command decides the exit status
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc _io -c 'read 2M 512' -c 'read 0 512'
_rc _io -c 'read 0 512' -c 'read 2M 512'
_rc _io -c 'read 0 512' -c 'read 0 512'

echo "*** done"
