#!/usr/bin/env bash
# group: io
# --image-opts read-only=on refuses writes
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc_split "$QEMU_IO" --image-opts -c 'read 0 4k' -c 'write 0 4k' "driver=$IMGFMT,read-only=on,file.filename=$TEST_IMG"

echo "*** done"
