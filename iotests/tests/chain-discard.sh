#!/usr/bin/env bash
# group: backing discard
# formats: qcow2
# Discard in an overlay: the backing data shows through or reads as zero, as qemu
. "$IOTESTS/common.rc"

TEST_IMG=$TEST_DIR/base.$IMGFMT _make_test_img 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT" >/dev/null
_make_test_img -b "$TEST_DIR/base.$IMGFMT" -F "$IMGFMT" 1M
_io -c 'write -P 0x73 0 128k' -c 'discard 0 64k' -c 'read -v 0 16' -c 'read -P 0x73 64k 64k' | grep -v ' ops; '

echo "*** done"
