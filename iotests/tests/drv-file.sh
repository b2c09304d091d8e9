#!/usr/bin/env bash
# group: driver io
# The file protocol under the format: the image's first bytes (its header for qcow2)
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0x5e 0 512' >/dev/null
"$QEMU_IO" --image-opts -c 'read -v 0 16' "driver=file,filename=$TEST_IMG" | _filter_io_stats
_rc "$QEMU_IO" --image-opts -c 'length' "driver=file,filename=$TEST_DIR/missing"

echo "*** done"
