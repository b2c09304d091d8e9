#!/usr/bin/env bash
# group: quick rw io
# A fresh image reads as zeroes; read -P 0 and read -v agree
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'read -P 0 0 1M' -c 'read -v 0 32' -c 'read -P 0 1048064 512'

echo "*** done"
