#!/usr/bin/env bash
# group: quick rw io aio
# aio_read/aio_write then aio_flush: completions are printed
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'aio_write -P 0x61 0 64k' -c 'aio_flush' -c 'aio_write -P 0x62 64k 64k' -c 'aio_flush' \
    -c 'aio_read -P 0x61 0 64k' -c 'aio_flush' -c 'aio_read -P 0x62 64k 64k' -c 'aio_flush'

echo "*** done"
