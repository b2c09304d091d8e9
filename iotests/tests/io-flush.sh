#!/usr/bin/env bash
# group: quick io
# flush (f) after writes
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 4k' -c 'flush' -c 'f' -c 'read -P 1 0 4k'

echo "*** done"
