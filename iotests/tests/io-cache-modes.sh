#!/usr/bin/env bash
# group: io
# Cache and AIO modes: -t, -n, -i; data stays the same
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -t writeback -c 'write -P 1 0 4k'
_io -t writethrough -c 'read -P 1 0 4k'
_io -t unsafe -c 'write -P 2 4k 4k'
_io -t directsync -c 'read -P 2 4k 4k' 2>&1 | grep -v 'O_DIRECT'
_io -i threads -c 'read -P 1 0 4k'

echo "*** done"
