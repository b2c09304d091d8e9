#!/usr/bin/env bash
# group: backing img map
# formats: qcow2
# map of an overlay: depth of each extent
. "$IOTESTS/common.rc"

TEST_IMG=$TEST_DIR/base.$IMGFMT _make_test_img 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT" >/dev/null
_make_test_img -b "$TEST_DIR/base.$IMGFMT" -F "$IMGFMT" 1M
_io -c 'write -P 1 0 64k' >/dev/null
_img map --output=json | sed -e 's/, "offset": [0-9]*//'
_img map | _filter_map_file

echo "*** done"
