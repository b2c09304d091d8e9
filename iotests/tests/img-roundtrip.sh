#!/usr/bin/env bash
# group: img convert compare
# A written image read back through convert, compare and qemu-io agree
. "$IOTESTS/common.rc"

_make_test_img 2M
_io -c 'write -P 0x10 0 100k' -c 'write -P 0x20 1M 3k' -c 'write -z 64k 4k' >/dev/null
"$QEMU_IMG" convert -f "$IMGFMT" -O "$IMGFMT" "$TEST_IMG" "$TEST_DIR/a.$IMGFMT"
"$QEMU_IMG" convert -f "$IMGFMT" -O raw "$TEST_DIR/a.$IMGFMT" "$TEST_DIR/b.raw"
"$QEMU_IMG" compare -f "$IMGFMT" -F raw "$TEST_IMG" "$TEST_DIR/b.raw"
"$QEMU_IO" -f raw -c 'read -P 0x10 0 64k' -c 'read -P 0 64k 4k' -c 'read -P 0x10 68k 32k' -c 'read -P 0x20 1M 3k' "$TEST_DIR/b.raw" | grep -v ' ops; '

echo "*** done"
