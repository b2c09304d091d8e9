#!/usr/bin/env bash
# group: driver io cor
# copy-on-read filter over the image: reads and writes pass through
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0x3d 0 64k' >/dev/null
cor="json:{\"driver\": \"copy-on-read\", \"file\": {\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"file\", \"filename\": \"$TEST_IMG\"}}}"
"$QEMU_IO" -c 'read -P 0x3d 0 64k' -c 'write -P 0x3e 64k 64k' -c 'read -P 0x3e 64k 64k' -c 'length' "$cor"
_io -c 'read -P 0x3e 64k 64k'

echo "*** done"
