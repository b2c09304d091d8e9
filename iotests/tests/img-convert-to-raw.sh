#!/usr/bin/env bash
# group: img convert
# convert to raw: zeroes and data land at the same offsets
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0x61 4k 4k' -c 'write -z 8k 4k' -c 'write -P 0x62 1020k 4k' >/dev/null
"$QEMU_IMG" convert -f "$IMGFMT" -O raw "$TEST_IMG" "$TEST_DIR/out.raw"
"$QEMU_IO" -f raw -c 'read -P 0 0 4k' -c 'read -P 0x61 4k 4k' -c 'read -P 0 8k 1012k' -c 'read -P 0x62 1020k 4k' -c length "$TEST_DIR/out.raw" | grep -v ' ops; '

echo "*** done"
