#!/usr/bin/env bash
# group: backing img compare
# formats: qcow2
# compare of an overlay with its backing file
. "$IOTESTS/common.rc"

TEST_IMG=$TEST_DIR/base.$IMGFMT _make_test_img 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT" >/dev/null
_make_test_img -b "$TEST_DIR/base.$IMGFMT" -F "$IMGFMT" 1M
_rc "$QEMU_IMG" compare -f "$IMGFMT" -F "$IMGFMT" "$TEST_IMG" "$TEST_DIR/base.$IMGFMT"
_io -c 'write -P 0x72 8k 512' >/dev/null
_rc "$QEMU_IMG" compare -f "$IMGFMT" -F "$IMGFMT" "$TEST_IMG" "$TEST_DIR/base.$IMGFMT"

echo "*** done"
