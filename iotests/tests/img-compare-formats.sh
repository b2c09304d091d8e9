#!/usr/bin/env bash
# group: img compare
# compare: raw against IMGFMT with the same data
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 9 4k 4k' >/dev/null
"$QEMU_IMG" create -q -f raw "$TEST_DIR/r.raw" 1M
"$QEMU_IO" -f raw -c 'write -P 9 4k 4k' "$TEST_DIR/r.raw" >/dev/null
_rc "$QEMU_IMG" compare -f "$IMGFMT" -F raw "$TEST_IMG" "$TEST_DIR/r.raw"
"$QEMU_IO" -f raw -c 'write -P 8 4k 1' "$TEST_DIR/r.raw" >/dev/null
_rc "$QEMU_IMG" compare -f "$IMGFMT" -F raw "$TEST_IMG" "$TEST_DIR/r.raw"

echo "*** done"
