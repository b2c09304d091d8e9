#!/usr/bin/env bash
# group: backing error
# formats: qcow2
# A missing backing file fails the open, named
. "$IOTESTS/common.rc"

TEST_IMG=$TEST_DIR/base.$IMGFMT _make_test_img 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT" >/dev/null
_make_test_img -b "$TEST_DIR/base.$IMGFMT" -F "$IMGFMT" 1M
rm "$TEST_DIR/base.$IMGFMT"
_rc _io -c 'read 0 512'
_img info | _filter_img_info

echo "*** done"
