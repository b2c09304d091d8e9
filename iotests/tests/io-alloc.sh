#!/usr/bin/env bash
# group: quick io alloc
# alloc (a) on fresh, written and zeroed ranges
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'alloc 0 1M' -c 'write -P 1 64k 64k' -c 'alloc 0 64k' -c 'alloc 64k 64k' -c 'a 0 1M' -c 'alloc 64k'

echo "*** done"
