#!/usr/bin/env bash
# group: quick io
# info (i) on the image
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'info' -c 'i'

echo "*** done"
