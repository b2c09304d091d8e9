#!/usr/bin/env bash
# group: io
# -r opens read-only: reads work, writes fail
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 4 0 4k' >/dev/null
_rc_split _io -r -c 'read -P 4 0 4k' -c 'write 0 4k' -c 'discard 0 4k' -c 'truncate 2M' -c 'length'

echo "*** done"
