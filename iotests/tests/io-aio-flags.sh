#!/usr/bin/env bash
# group: rw io aio
# aio_read -P mismatch, aio_write -z, aio -q
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'aio_write -q -P 0x10 0 8k' -c 'aio_flush' -c 'aio_write -z 4k 4k' -c 'aio_flush' \
    -c 'aio_read -P 0x10 0 4k' -c 'aio_read -q -P 0 4k 4k' -c 'aio_flush'
_rc _io -c 'aio_read -P 0x11 0 4k' -c 'aio_flush'

echo "*** done"
