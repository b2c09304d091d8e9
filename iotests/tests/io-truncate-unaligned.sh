#!/usr/bin/env bash
# group: io resize
# truncate to an unaligned size
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc _io -c 'truncate 1049000' -c 'length'
_rc _io -c 'truncate 2M' -c 'length' -c 'read -P 0 1M 1M'

echo "*** done"
