#!/usr/bin/env bash
# group: quick io alloc
# map after writes at several places
. "$IOTESTS/common.rc"

_make_test_img 4M
_io -c 'map'
_io -c 'write -P 1 0 64k' -c 'write -P 2 1M 128k' -c 'write -P 3 3M 64k' -c 'map'

echo "*** done"
