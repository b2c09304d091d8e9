#!/usr/bin/env bash
# group: io error
# read -P with -s/-l outside the request is refused
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc _io -c 'read -P 0 -s 4k -l 1k 0 4k'
_rc _io -c 'read -P 0 -s 0 -l 8k 0 4k'
_rc _io -c 'read -s 0 0 4k'

echo "*** done"
