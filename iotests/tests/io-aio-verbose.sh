#!/usr/bin/env bash
# group: io aio
# aio_read -v dumps what it read
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0x31 0 32' -c 'aio_read -v 0 32' -c 'aio_flush' -c 'aio_read -q -v 16 16' -c 'aio_flush' | grep -v ' ops; '

echo "*** done"
