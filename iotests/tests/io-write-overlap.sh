#!/usr/bin/env bash
# group: rw io
# Overlapping writes: the last one wins, byte exact
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 64k' -c 'write -P 2 1000 3000' -c 'write -P 3 2000 100000' -c 'write -P 4 65000 1' >/dev/null
_io -c 'read -P 1 0 1000' -c 'read -P 2 1000 1000' -c 'read -P 3 2000 63000' -c 'read -P 4 65000 1' -c 'read -P 3 65001 36999' -c 'read -P 0 102000 4k' | grep -v ' ops; '

echo "*** done"
