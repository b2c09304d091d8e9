#!/usr/bin/env bash
# group: backing quick
# formats: qcow2
# A qcow2 overlay reads its backing file's data
. "$IOTESTS/common.rc"

TEST_IMG=$TEST_DIR/base.$IMGFMT _make_test_img 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT" >/dev/null
_make_test_img -b "$TEST_DIR/base.$IMGFMT" -F "$IMGFMT" 1M
_io -c 'read -P 0xb0 0 1M' -c 'alloc 0 1M'

echo "*** done"
