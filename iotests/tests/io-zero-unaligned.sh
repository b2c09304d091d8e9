#!/usr/bin/env bash
# group: rw io zero
# write -z at unaligned offsets keeps the bytes around it
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0xaa 0 128k' -c 'write -z 100 1000' -c 'write -z 65535 2' >/dev/null
_io -c 'read -P 0xaa 0 100' -c 'read -P 0 100 1000' -c 'read -P 0xaa 1100 64435' -c 'read -P 0 65535 2' -c 'read -P 0xaa 65537 65535' | grep -v ' ops; '

echo "*** done"
