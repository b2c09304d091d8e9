#!/usr/bin/env bash
# group: img compare
# compare -s (strict): allocation differences count
. "$IOTESTS/common.rc"

_known_bug raw -- qemu-img create allocates the first block of a raw file and compare -s compares the whole block status, drydock does neither: it compares only allocation
_make_test_img 1M
cp "$TEST_IMG" "$TEST_DIR/b.$IMGFMT"
"$QEMU_IO" -f "$IMGFMT" -c 'write -z 0 64k' "$TEST_DIR/b.$IMGFMT" >/dev/null
_rc "$QEMU_IMG" compare -s -f "$IMGFMT" -F "$IMGFMT" "$TEST_IMG" "$TEST_DIR/b.$IMGFMT"
_rc "$QEMU_IMG" compare -s -f "$IMGFMT" -F "$IMGFMT" "$TEST_IMG" "$TEST_IMG"

echo "*** done"
