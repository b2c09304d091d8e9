#!/usr/bin/env bash
# group: rw io
# write without -P uses qemu-io's default pattern 0xcd
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write 0 4k' -c 'read -P 0xcd 0 4k' -c 'writev 4k 512 512' -c 'read -P 0xcd 4k 1k' | grep -v ' ops; '

echo "*** done"
