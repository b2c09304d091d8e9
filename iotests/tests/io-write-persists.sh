#!/usr/bin/env bash
# group: quick rw io
# Data written survives closing and reopening the image
. "$IOTESTS/common.rc"

_make_test_img 2M
_io -c 'write -P 0x11 0 4k' -c 'write -P 0x22 1M 4k' -c 'write -P 0x33 2093056 4k'
_io -c 'read -P 0x11 0 4k' -c 'read -P 0 4k 1020k' -c 'read -P 0x22 1M 4k' -c 'read -P 0x33 2093056 4k'

echo "*** done"
