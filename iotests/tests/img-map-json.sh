#!/usr/bin/env bash
# group: img map
# map --output=json
. "$IOTESTS/common.rc"

_make_test_img 4M
_io -c 'write -P 1 0 64k' -c 'write -P 2 2M 128k' -c 'write -z 3M 64k' >/dev/null
_img map --output=json | sed -e 's/, "offset": [0-9]*//'

echo "*** done"
