#!/usr/bin/env bash
# group: rw io vector
# readv -P mismatch and -q
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'writev -q -P 0x44 8k 4k 4k'
_rc _io -c 'readv -q -P 0x45 8k 4k 4k'
_rc _io -c 'readv -P 0x44 8k 8k'

echo "*** done"
