#!/usr/bin/env bash
# group: io
# flush on a read-only image succeeds
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc _io -r -c 'flush' -c 'aio_flush' -c 'length'

echo "*** done"
