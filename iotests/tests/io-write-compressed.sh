#!/usr/bin/env bash
# group: rw io compress
# write -c: compressed writes (qcow2 only)
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc _io -c 'write -c -P 0x66 0 64k'
_io -c 'read -P 0x66 0 64k' -c 'read -P 0 64k 64k' 2>&1 | head -4

echo "*** done"
