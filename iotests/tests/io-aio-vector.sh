#!/usr/bin/env bash
# group: rw io aio vector
# aio_write with several buffers (vector)
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'aio_write -P 0x30 0 1k 2k 1k' -c 'aio_flush' -c 'aio_read -P 0x30 0 2k 2k' -c 'aio_flush'

echo "*** done"
