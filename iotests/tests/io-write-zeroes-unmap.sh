#!/usr/bin/env bash
# group: rw io zero discard
# write -z -u may unmap; the data reads as zeroes either way
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0xcd 0 256k' -c 'write -z -u 64k 128k' -c 'read -P 0 64k 128k' -c 'read -P 0xcd 0 64k'

echo "*** done"
