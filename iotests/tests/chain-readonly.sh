#!/usr/bin/env bash
# group: backing
# formats: qcow2
# Opening the overlay read-only and the base while it is in use
. "$IOTESTS/common.rc"

TEST_IMG=$TEST_DIR/base.$IMGFMT _make_test_img 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT" >/dev/null
_make_test_img -b "$TEST_DIR/base.$IMGFMT" -F "$IMGFMT" 1M
_rc_split _io -r -c 'read -P 0xb0 0 4k' -c 'write 0 4k'

echo "*** done"
