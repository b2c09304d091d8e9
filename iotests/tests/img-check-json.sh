#!/usr/bin/env bash
# group: img check
# check --output=json
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 128k' >/dev/null
_rc _img check --output=json

echo "*** done"
