#!/usr/bin/env bash
# group: quick img convert
# convert raw to IMGFMT and back: same data
. "$IOTESTS/common.rc"

"$QEMU_IMG" create -q -f raw "$TEST_DIR/src.raw" 1M
"$QEMU_IO" -f raw -c 'write -P 0x1a 0 64k' -c 'write -P 0x1b 512k 4k' "$TEST_DIR/src.raw" >/dev/null
_rc "$QEMU_IMG" convert -f raw -O "$IMGFMT" "$TEST_DIR/src.raw" "$TEST_IMG"
_io -c 'read -P 0x1a 0 64k' -c 'read -P 0 64k 448k' -c 'read -P 0x1b 512k 4k'
_rc "$QEMU_IMG" convert -f "$IMGFMT" -O raw "$TEST_IMG" "$TEST_DIR/back.raw"
_rc "$QEMU_IMG" compare -f raw -F raw "$TEST_DIR/src.raw" "$TEST_DIR/back.raw"

echo "*** done"
