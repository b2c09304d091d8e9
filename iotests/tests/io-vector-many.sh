#!/usr/bin/env bash
# group: rw io vector
# writev and readv of many small buffers
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c "writev -P 0x55 0 $(printf '512 %.0s' $(seq 1 32))" -c "readv -P 0x55 0 $(printf '1k %.0s' $(seq 1 16))" | grep -v ' ops; '

echo "*** done"
