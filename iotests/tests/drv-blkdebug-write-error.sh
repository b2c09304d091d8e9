#!/usr/bin/env bash
# group: driver blkdebug error
# blkdebug write errors: writes fail, reads still work
. "$IOTESTS/common.rc"

_known_bug qcow2 -- qcow2 data writes through blkdebug do not fail on write_aio rules as in qemu
_make_test_img 1M
bd="json:{\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"blkdebug\", \"inject-error\": [{\"event\": \"write_aio\", \"errno\": 5}], \"image\": {\"driver\": \"file\", \"filename\": \"$TEST_IMG\"}}}"
_rc "$QEMU_IO" -c 'write -P 1 0 4k' -c 'read -P 0 0 4k' "$bd"
_rc "$QEMU_IO" -c 'aio_write -P 1 0 4k' -c 'aio_flush' "$bd"
_io -c 'read -P 0 0 4k'

echo "*** done"
