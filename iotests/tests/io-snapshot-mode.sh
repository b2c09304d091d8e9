#!/usr/bin/env bash
# group: io
# -s: writes go to a temporary overlay, the image is unchanged
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 4k' >/dev/null
_io -s -c 'write -P 2 0 4k' -c 'read -P 2 0 4k'
_io -c 'read -P 1 0 4k'

echo "*** done"
