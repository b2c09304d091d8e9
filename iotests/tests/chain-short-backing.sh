#!/usr/bin/env bash
# group: backing
# formats: qcow2
# A backing file smaller than the overlay
. "$IOTESTS/common.rc"

TEST_IMG=$TEST_DIR/base.$IMGFMT _make_test_img 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT" >/dev/null
_make_test_img -b "$TEST_DIR/base.$IMGFMT" -F "$IMGFMT" 2M
_io -c 'length' -c 'read -P 0xb0 0 1M' -c 'read -P 0 1M 1M' -c 'write -P 5 1020k 8k' -c 'read -P 5 1020k 8k' | grep -v ' ops; '

echo "*** done"
