#!/usr/bin/env bash
# group: quick rw io
# read -v dumps bytes as qemu-io does
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0x41 0 16' -c 'write -P 0x7e 16 8' -c 'write -P 0xff 24 40'
_io -c 'read -v 0 64' -c 'read -v 8 20'

echo "*** done"
