#!/usr/bin/env bash
# group: backing cor driver
# formats: qcow2
# The copy-on-read filter over an overlay copies what it reads
. "$IOTESTS/common.rc"

TEST_IMG=$TEST_DIR/base.$IMGFMT _make_test_img 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT" >/dev/null
_make_test_img -b "$TEST_DIR/base.$IMGFMT" -F "$IMGFMT" 1M
"$QEMU_IO" -c 'read -P 0xb0 64k 64k' "json:{\"driver\": \"copy-on-read\", \"file\": {\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"file\", \"filename\": \"$TEST_IMG\"}}}" | grep -v ' ops; '
_io -c 'alloc 0 64k' -c 'alloc 64k 64k'

echo "*** done"
