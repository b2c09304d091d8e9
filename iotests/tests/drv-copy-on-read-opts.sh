#!/usr/bin/env bash
# group: driver cor
# copy-on-read through --image-opts with a filter node name
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0x3f 0 64k' >/dev/null
_rc "$QEMU_IO" --image-opts -c 'read -P 0x3f 0 64k' -c 'map' "driver=copy-on-read,node-name=cor0,file.driver=$IMGFMT,file.file.filename=$TEST_IMG"

echo "*** done"
