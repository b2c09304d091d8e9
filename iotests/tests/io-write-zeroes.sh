#!/usr/bin/env bash
# group: quick rw io zero
# write -z zeroes a written range
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0xcd 0 128k' -c 'write -z 32k 64k'
_io -c 'read -P 0xcd 0 32k' -c 'read -P 0 32k 64k' -c 'read -P 0xcd 96k 32k'

echo "*** done"
