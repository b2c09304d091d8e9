#!/usr/bin/env bash
# group: driver blkdebug error
# blkdebug inject-error on a sector range only
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 1M' >/dev/null
bd="json:{\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"blkdebug\", \"inject-error\": [{\"event\": \"read_aio\", \"sector\": 100, \"errno\": 5}], \"image\": {\"driver\": \"file\", \"filename\": \"$TEST_IMG\"}}}"
_rc "$QEMU_IO" -c 'read -P 1 0 51200' -c 'read -P 1 51712 4k' "$bd"
_rc "$QEMU_IO" -c 'read -P 1 51200 512' "$bd"
_rc "$QEMU_IO" -c 'read -P 1 0 64k' "$bd"

echo "*** done"
