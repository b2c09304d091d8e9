#!/usr/bin/env bash
# group: img info
# info --backing-chain on an image without backing file
. "$IOTESTS/common.rc"

_make_test_img 1M
_img info --backing-chain | _filter_img_info

echo "*** done"
