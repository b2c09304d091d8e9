#!/usr/bin/env bash
# group: img convert
# convert without -O writes a raw image
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0x44 0 4k' >/dev/null
"$QEMU_IMG" convert -f "$IMGFMT" "$TEST_IMG" "$TEST_DIR/out.img"
"$QEMU_IMG" info "$TEST_DIR/out.img" 2>&1 | _filter_img_info | grep 'format'
"$QEMU_IO" -f raw -c 'read -P 0x44 0 4k' "$TEST_DIR/out.img" | grep -v ' ops; '

echo "*** done"
