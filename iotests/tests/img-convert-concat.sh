#!/usr/bin/env bash
# group: img convert
# convert of several sources concatenates them
. "$IOTESTS/common.rc"

for i in 1 2 3; do
    TEST_IMG=$TEST_DIR/s$i.$IMGFMT _make_test_img 64k >/dev/null
    "$QEMU_IO" -f "$IMGFMT" -c "write -P $i 0 64k" "$TEST_DIR/s$i.$IMGFMT" >/dev/null
done
_rc "$QEMU_IMG" convert -f "$IMGFMT" -O "$IMGFMT" "$TEST_DIR/s1.$IMGFMT" "$TEST_DIR/s2.$IMGFMT" "$TEST_DIR/s3.$IMGFMT" "$TEST_IMG"
_io -c length -c 'read -P 1 0 64k' -c 'read -P 2 64k 64k' -c 'read -P 3 128k 64k'

echo "*** done"
