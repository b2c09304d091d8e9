#!/usr/bin/env bash
# group: img check
# check: the allocation statistics of a written image
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 256k' -c 'discard 0 64k' >/dev/null
_rc _img check

echo "*** done"
