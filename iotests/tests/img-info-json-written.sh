#!/usr/bin/env bash
# group: img info
# info --output=json after writes
. "$IOTESTS/common.rc"

_make_test_img 2M
_io -c 'write -P 1 0 1M' >/dev/null
_img info --output=json | _filter_actual_size | sed -e '/"format-specific"/,/^    }/d'

echo "*** done"
