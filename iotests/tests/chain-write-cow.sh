#!/usr/bin/env bash
# group: backing rw
# formats: qcow2
# Writes to the overlay leave the backing file unchanged
. "$IOTESTS/common.rc"

TEST_IMG=$TEST_DIR/base.$IMGFMT _make_test_img 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT" >/dev/null
_make_test_img -b "$TEST_DIR/base.$IMGFMT" -F "$IMGFMT" 1M
_io -c 'write -P 0x70 4k 4k' -c 'read -P 0xb0 0 4k' -c 'read -P 0x70 4k 4k' -c 'read -P 0xb0 8k 56k' -c 'alloc 0 64k' -c 'alloc 64k 960k'
"$QEMU_IO" -f "$IMGFMT" -c 'read -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT"

echo "*** done"
