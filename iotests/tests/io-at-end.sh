#!/usr/bin/env bash
# group: rw io
# Reads and writes that end exactly at the end of the image
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0x7f 1048575 1' -c 'read -P 0x7f 1048575 1' -c 'read -P 0 1047552 1023' -c 'read -v 1048560 16'
_rc _io -c 'read 1048575 2'

echo "*** done"
