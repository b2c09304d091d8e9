#!/usr/bin/env bash
# group: driver blkverify error drydock-only
# blkverify: a mismatch between the children fails the request, named (qemu exits instead)
. "$IOTESTS/common.rc"

_make_test_img 1M
"$QEMU_IMG" create -q -f raw "$TEST_DIR/ref.raw" 1M
"$QEMU_IO" -f raw -c 'write -P 1 4096 512' "$TEST_DIR/ref.raw" >/dev/null
bv="json:{\"driver\": \"blkverify\", \"test\": {\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"file\", \"filename\": \"$TEST_IMG\"}}, \"raw\": {\"driver\": \"file\", \"filename\": \"$TEST_DIR/ref.raw\"}}"
_rc_split "$QEMU_IO" -c 'read 0 4k' -c 'read 0 8k' "$bv"

echo "*** done"
