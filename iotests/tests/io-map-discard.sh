#!/usr/bin/env bash
# group: io alloc discard
# map after discard and zero writes
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 512k' -c 'discard 128k 128k' -c 'write -z -u 384k 64k' >/dev/null
_io -c map

echo "*** done"
