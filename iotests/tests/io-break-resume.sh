#!/usr/bin/env bash
# group: io blkdebug break
# blkdebug breakpoints: break, aio_write, wait_break, resume
. "$IOTESTS/common.rc"

_make_test_img 1M
bd="json:{\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"blkdebug\", \"image\": {\"driver\": \"file\", \"filename\": \"$TEST_IMG\"}}}"
"$QEMU_IO" -c 'break write_aio A' -c 'aio_write -P 0x42 0 4k' -c 'wait_break A' -c 'resume A' -c 'aio_flush' -c 'read -P 0x42 0 4k' "$bd"

echo "*** done"
