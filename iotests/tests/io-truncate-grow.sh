#!/usr/bin/env bash
# group: rw io resize
# truncate (t) grows the image; the new area reads as zeroes
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 7 0 1M' -c 'truncate 2M' -c 'length' -c 'read -P 7 0 1M' -c 'read -P 0 1M 1M'
_io -c 'length' -c 't 3M' -c 'length'

echo "*** done"
