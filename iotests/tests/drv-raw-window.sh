#!/usr/bin/env bash
# group: driver io
# raw with offset and size over the image: a window
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 64k' -c 'write -P 2 64k 64k' -c 'write -P 3 128k 64k' >/dev/null
win() { echo "json:{\"driver\": \"raw\", \"offset\": $1, \"size\": $2, \"file\": {\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"file\", \"filename\": \"$TEST_IMG\"}}}"; }
"$QEMU_IO" -c 'length' -c 'read -P 2 0 64k' -c 'write -P 9 0 4k' "$(win 65536 65536)"
_io -c 'read -P 1 0 64k' -c 'read -P 9 64k 4k' -c 'read -P 2 68k 60k' -c 'read -P 3 128k 64k'
_rc "$QEMU_IO" -c 'read 64k 512' "$(win 65536 65536)"

echo "*** done"
