#!/usr/bin/env bash
# group: io blkdebug break error
# blkdebug breakpoints: remove_break, resume and break errors
. "$IOTESTS/common.rc"

_make_test_img 1M
bd="json:{\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"blkdebug\", \"image\": {\"driver\": \"file\", \"filename\": \"$TEST_IMG\"}}}"
_rc "$QEMU_IO" -c 'break write_aio A' -c 'remove_break A' -c 'write -P 1 0 4k' -c 'remove_break A' -c 'resume B' "$bd"
_rc "$QEMU_IO" -c 'break nosuchevent A' "$bd"
_rc _io -c 'break write_aio A'

echo "*** done"
