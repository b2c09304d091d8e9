#!/usr/bin/env bash
# group: io
# -U (force share) opens an image another user holds
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 6 0 4k' >/dev/null
_io -U -r -c 'read -P 6 0 4k'

echo "*** done"
