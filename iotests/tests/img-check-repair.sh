#!/usr/bin/env bash
# group: img check
# check -r leaks / -r all on a clean image
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 128k' >/dev/null
_rc _img check -r leaks
_rc _img check -r all
_rc _img check -r nosuchmode

echo "*** done"
