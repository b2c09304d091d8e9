#!/usr/bin/env bash
# group: rw io
# Unaligned requests are handled by read-modify-write
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0x11 0 4k' -c 'write -P 0x22 1 1' -c 'write -P 0x33 511 3' -c 'write -P 0x44 4095 2'
_io -c 'read -v 0 16' -c 'read -v 504 16' -c 'read -v 4088 16' -c 'read -P 0x11 2 509' -c 'read -P 0x11 514 3581'

echo "*** done"
