#!/usr/bin/env bash
# group: quick rw io vector
# readv/writev with several buffers, pattern checked across them
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'writev -P 0x21 0 512 1k 4k' -c 'readv -P 0x21 0 512 1k 4k' -c 'readv -P 0 5632 512 512'
_io -c 'readv -v 5630 2 2'

echo "*** done"
