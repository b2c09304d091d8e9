#!/usr/bin/env bash
# group: rw io resize
# truncate shrinks the image; reads past the end fail
. "$IOTESTS/common.rc"

_make_test_img 2M
_io -c 'write -P 7 0 2M' -c 'truncate 1M' -c 'length' -c 'read -P 7 0 1M'
_rc _io -c 'read 1M 4k'

echo "*** done"
