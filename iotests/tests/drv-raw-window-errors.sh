#!/usr/bin/env bash
# group: driver error drydock-only
# raw offset/size that do not fit: drydock's messages name the values
. "$IOTESTS/common.rc"

_make_test_img 1M
win() { echo "json:{\"driver\": \"raw\", \"offset\": $1, \"size\": $2, \"file\": {\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"file\", \"filename\": \"$TEST_IMG\"}}}"; }
_rc "$QEMU_IO" -c 'length' "$(win 512 100)"
_rc "$QEMU_IO" -c 'length' "$(win 2097152 512)"

echo "*** done"
