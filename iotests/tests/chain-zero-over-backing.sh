#!/usr/bin/env bash
# group: backing zero
# formats: qcow2
# Zeroes written to the overlay hide the backing data
. "$IOTESTS/common.rc"

TEST_IMG=$TEST_DIR/base.$IMGFMT _make_test_img 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT" >/dev/null
_make_test_img -b "$TEST_DIR/base.$IMGFMT" -F "$IMGFMT" 1M
_io -c 'write -z 0 64k' -c 'read -P 0 0 64k' -c 'read -P 0xb0 64k 64k' -c 'map'

echo "*** done"
