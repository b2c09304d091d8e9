#!/usr/bin/env bash
# group: img resize io
# qemu-img resize then qemu-io sees the new length
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0x2a 1020k 4k' >/dev/null
"$QEMU_IMG" resize -f "$IMGFMT" "$TEST_IMG" 5M
_io -c 'length' -c 'read -P 0x2a 1020k 4k' -c 'read -P 0 1M 4M' -c 'write -P 0x2b 5116k 4k' -c 'read -P 0x2b 5116k 4k' | grep -v ' ops; '

echo "*** done"
