#!/usr/bin/env bash
# group: img map
# map of a fully written image is one extent
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 1M' >/dev/null
_img map --output=json | sed -e 's/, "offset": [0-9]*//'
_img map | _filter_map_file | sed -e 's/0x[0-9a-f]*$//'

echo "*** done"
