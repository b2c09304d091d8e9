#!/usr/bin/env bash
# group: io error
# Bad numbers: negative, non-numeric, suffixes, out of range
. "$IOTESTS/common.rc"

_make_test_img 1M
for cmd in 'read -1 512' 'read abc 512' 'read 0 xyz' 'read 0 -512' 'write 0 1x' 'read 0 1T' 'write -P 0x100 0 512' 'write -P abc 0 512' 'read 0 0' 'truncate -1' 'alloc 0 -1' 'discard abc 512'; do
    echo "--- $cmd"
    _rc _io -c "$cmd"
done

echo "*** done"
