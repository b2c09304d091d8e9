#!/usr/bin/env bash
# group: io driver
# --image-opts with driver and file.filename
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0x0f 0 4k' >/dev/null
"$QEMU_IO" --image-opts -c 'read -P 0x0f 0 4k' -c 'length' "driver=$IMGFMT,file.filename=$TEST_IMG"
_rc "$QEMU_IO" --image-opts -c 'length' "driver=$IMGFMT,file.filename=$TEST_DIR/missing"
_rc "$QEMU_IO" --image-opts -c 'length' "driver=$IMGFMT,nosuch=1,file.filename=$TEST_IMG"

echo "*** done"
