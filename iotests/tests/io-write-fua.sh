#!/usr/bin/env bash
# group: rw io
# write -f (FUA) writes through
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -f -P 0x3c 0 8k' -c 'read -P 0x3c 0 8k'

echo "*** done"
