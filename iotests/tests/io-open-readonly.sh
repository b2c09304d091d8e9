#!/usr/bin/env bash
# group: io
# open -r is read-only: writes fail
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc_split "$QEMU_IO" -c "open -r -o driver=$IMGFMT $TEST_IMG" -c 'write 0 4k' -c 'read 0 4k'
_rc_split _io -r -c 'write 0 4k'

echo "*** done"
