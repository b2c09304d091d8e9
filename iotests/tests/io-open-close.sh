#!/usr/bin/env bash
# group: quick io
# close then commands: no file open; open reopens
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc_split "$QEMU_IO" -c "open -o driver=$IMGFMT $TEST_IMG" -c 'write -P 5 0 4k' -c 'close' -c 'read 0 4k' -c "open -o driver=$IMGFMT $TEST_IMG" -c 'read -P 5 0 4k' -c 'close' -c 'c'

echo "*** done"
