#!/usr/bin/env bash
# group: backing img convert
# formats: qcow2
# convert flattens a chain into one image
. "$IOTESTS/common.rc"

TEST_IMG=$TEST_DIR/base.$IMGFMT _make_test_img 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT" >/dev/null
_make_test_img -b "$TEST_DIR/base.$IMGFMT" -F "$IMGFMT" 1M
_io -c 'write -P 0x71 0 64k' >/dev/null
"$QEMU_IMG" convert -f "$IMGFMT" -O "$IMGFMT" "$TEST_IMG" "$TEST_DIR/flat.$IMGFMT"
"$QEMU_IMG" info -f "$IMGFMT" "$TEST_DIR/flat.$IMGFMT" | _filter_img_info | grep -c backing
"$QEMU_IO" -f "$IMGFMT" -c 'read -P 0x71 0 64k' -c 'read -P 0xb0 64k 960k' "$TEST_DIR/flat.$IMGFMT" | grep -v ' ops; '
"$QEMU_IMG" compare -f "$IMGFMT" -F "$IMGFMT" "$TEST_IMG" "$TEST_DIR/flat.$IMGFMT"

echo "*** done"
