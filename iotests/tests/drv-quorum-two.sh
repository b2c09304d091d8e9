#!/usr/bin/env bash
# group: driver quorum
# quorum of two with threshold 1: a read needs one child
. "$IOTESTS/common.rc"

for i in 1 2; do TEST_IMG=$TEST_DIR/q$i.$IMGFMT _make_test_img 1M >/dev/null; done
q="json:{\"driver\": \"quorum\", \"vote-threshold\": 1, \"children\": [{\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"file\", \"filename\": \"$TEST_DIR/q1.$IMGFMT\"}}, {\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"file\", \"filename\": \"$TEST_DIR/q2.$IMGFMT\"}}]}"
"$QEMU_IO" -c 'write -P 0x12 0 64k' -c 'read -P 0x12 0 64k' "$q" | grep -v ' ops; '
"$QEMU_IO" -f "$IMGFMT" -c 'read -P 0x12 0 64k' "$TEST_DIR/q2.$IMGFMT" | grep -v ' ops; '

echo "*** done"
