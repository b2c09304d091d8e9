#!/usr/bin/env bash
# group: img create
# create overwrites an existing image: the data is gone
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 4k' >/dev/null
_make_test_img 2M
_io -c 'read -P 0 0 4k' -c length

echo "*** done"
