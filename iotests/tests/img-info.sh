#!/usr/bin/env bash
# group: quick img info
# info: human output
. "$IOTESTS/common.rc"

_make_test_img 1M
_img info | _filter_img_info
_io -c 'write -P 1 0 64k' >/dev/null
_img info | _filter_img_info

echo "*** done"
