#!/usr/bin/env bash
# group: io alloc zero
# write -z on unwritten area: map and alloc
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -z 0 64k' -c 'alloc 0 64k' -c 'map'

echo "*** done"
