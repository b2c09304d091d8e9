#!/usr/bin/env bash
# group: img convert map
# convert keeps a sparse image sparse (map of the copy)
. "$IOTESTS/common.rc"

_make_test_img 4M
_io -c 'write -P 1 0 64k' -c 'write -P 2 3M 64k' >/dev/null
"$QEMU_IMG" convert -f "$IMGFMT" -O "$IMGFMT" "$TEST_IMG" "$TEST_DIR/copy.$IMGFMT"
"$QEMU_IMG" map -f "$IMGFMT" --output=json "$TEST_DIR/copy.$IMGFMT" | sed -e 's/, "offset": [0-9]*//'
"$QEMU_IMG" compare -f "$IMGFMT" -F "$IMGFMT" "$TEST_IMG" "$TEST_DIR/copy.$IMGFMT"

echo "*** done"
