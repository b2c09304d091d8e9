#!/usr/bin/env bash
# group: io cor
# -C: copy-on-read keeps the data
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 8 0 64k' >/dev/null
_io -C -c 'read -P 8 0 64k' -c 'read -P 0 64k 64k'

echo "*** done"
