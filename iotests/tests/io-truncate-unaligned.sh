#!/usr/bin/env bash
# group: io resize
# truncate to an unaligned size
. "$IOTESTS/common.rc"

_make_test_img 1M
# drydock's message names the size: compare the rest
_rc _io -c 'truncate 1049000' -c 'length' 2>&1 | sed -e 's/new size [0-9]* must/new size must/'
_rc _io -c 'truncate 2M' -c 'length' -c 'read -P 0 1M 1M'

echo "*** done"
