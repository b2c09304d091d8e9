#!/usr/bin/env bash
# group: io error
# open with -o options, a missing file, a bad option, twice
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc_split "$QEMU_IO" -c "open -o driver=$IMGFMT $TEST_IMG" -c 'length'
_rc_split "$QEMU_IO" -c "open -o driver=$IMGFMT $TEST_DIR/missing.$IMGFMT"
_rc_split "$QEMU_IO" -c "open -o nosuchopt=1,driver=$IMGFMT $TEST_IMG"
_rc_split "$QEMU_IO" -c "open -o driver=$IMGFMT $TEST_IMG" -c "open -o driver=$IMGFMT $TEST_IMG"
_rc_split "$QEMU_IO" -c "o -o driver=$IMGFMT -f $TEST_IMG"

echo "*** done"
