#!/usr/bin/env bash
# group: driver io blkverify
# blkverify: the same data in both children reads fine; writes go to both
. "$IOTESTS/common.rc"

_make_test_img 1M
"$QEMU_IMG" create -q -f raw "$TEST_DIR/ref.raw" 1M
bv="json:{\"driver\": \"blkverify\", \"test\": {\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"file\", \"filename\": \"$TEST_IMG\"}}, \"raw\": {\"driver\": \"file\", \"filename\": \"$TEST_DIR/ref.raw\"}}"
_rc "$QEMU_IO" -c 'write -P 0x4b 0 64k' -c 'read -P 0x4b 0 64k' -c 'read -P 0 64k 64k' "$bv"
_io -c 'read -P 0x4b 0 64k'
"$QEMU_IO" -f raw -c 'read -P 0x4b 0 64k' "$TEST_DIR/ref.raw"

echo "*** done"
