#!/usr/bin/env bash
# group: quick rw io
# write -q and read -q print nothing on success
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -q -P 9 0 4k' -c 'read -q -P 9 0 4k'
echo "--- quiet mismatch still reports"
_rc _io -c 'read -q -P 8 0 4k'

echo "*** done"
