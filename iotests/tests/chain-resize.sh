#!/usr/bin/env bash
# group: backing resize
# formats: qcow2
# Growing an overlay past its backing file: the new area reads zeroes
. "$IOTESTS/common.rc"

TEST_IMG=$TEST_DIR/base.$IMGFMT _make_test_img 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT" >/dev/null
_make_test_img -b "$TEST_DIR/base.$IMGFMT" -F "$IMGFMT" 1M
"$QEMU_IMG" resize -f "$IMGFMT" "$TEST_IMG" 2M
_io -c 'length' -c 'read -P 0xb0 0 1M' -c 'read -P 0 1M 1M' | grep -v ' ops; '

echo "*** done"
