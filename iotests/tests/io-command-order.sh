#!/usr/bin/env bash
# group: io
# Commands of one invocation run in order
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 4k' -c 'read -P 1 0 4k' -c 'write -P 2 0 4k' -c 'read -P 2 0 4k' -c 'write -z 0 4k' -c 'read -P 0 0 4k' | grep -v ' ops; '

echo "*** done"
