#!/usr/bin/env bash
# group: rw io discard
# discard (d) of written data; it reads as zeroes or keeps its data per format
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0xee 0 256k' -c 'discard 64k 64k' -c 'd -q 128k 64k' -c 'read -P 0xee 0 64k' -c 'read -P 0xee 192k 64k'

echo "*** done"
