#!/usr/bin/env bash
# group: img info
# info --output=json
. "$IOTESTS/common.rc"

_make_test_img 1M
_img info --output=json | _filter_actual_size | sed -e '/"format-specific"/,/^    }/d'

echo "*** done"
