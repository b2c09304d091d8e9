#!/usr/bin/env bash
# group: quick io
# quit stops at once: later commands do not run
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc _io -c 'write -P 1 0 4k' -c 'quit' -c 'write -P 2 0 4k'
_io -c 'read -P 1 0 4k'

echo "*** done"
