#!/usr/bin/env bash
# group: driver io blkdebug error
# blkdebug inject-error: reads fail with the injected errno, other requests work
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 64k' >/dev/null
bd() { echo "json:{\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"blkdebug\", \"inject-error\": [{\"event\": \"$1\", \"errno\": $2, \"once\": $3}], \"image\": {\"driver\": \"file\", \"filename\": \"$TEST_IMG\"}}}"; }
_rc "$QEMU_IO" -c 'read -P 1 0 4k' "$(bd read_aio 5 false)"
_rc "$QEMU_IO" -c 'read -P 1 0 4k' -c 'read -P 1 0 4k' "$(bd read_aio 28 true)"
_rc "$QEMU_IO" -c 'write -P 2 0 4k' -c 'read -P 2 0 4k' "$(bd flush_to_disk 5 false)"

echo "*** done"
