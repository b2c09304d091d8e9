#!/usr/bin/env bash
# group: backing cor
# formats: qcow2
# Copy-on-read (-C) copies read data into the overlay
. "$IOTESTS/common.rc"

TEST_IMG=$TEST_DIR/base.$IMGFMT _make_test_img 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT" >/dev/null
_make_test_img -b "$TEST_DIR/base.$IMGFMT" -F "$IMGFMT" 1M
_io -c 'alloc 0 1M'
_io -C -c 'read -P 0xb0 0 128k' | grep -v ' ops; '
_io -c 'alloc 0 1M' -c 'alloc 0 128k'

echo "*** done"
