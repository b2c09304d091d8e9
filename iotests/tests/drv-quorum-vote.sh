#!/usr/bin/env bash
# group: driver quorum error
# quorum: one corrupted child is outvoted; with threshold 3 the read fails
. "$IOTESTS/common.rc"

qj() { local t=$1 c= i; shift; for i in "$@"; do c="$c${c:+, }{\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"file\", \"filename\": \"$TEST_DIR/q$i.$IMGFMT\"}}"; done; echo "json:{\"driver\": \"quorum\", \"vote-threshold\": $t, \"children\": [$c]}"; }
for i in 1 2 3; do TEST_IMG=$TEST_DIR/q$i.$IMGFMT _make_test_img 1M >/dev/null; done
"$QEMU_IO" -c 'write -P 0x71 0 64k' "$(qj 2 1 2 3)" >/dev/null
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0x72 4k 512' "$TEST_DIR/q2.$IMGFMT" >/dev/null
_rc "$QEMU_IO" -c 'read -P 0x71 0 64k' "$(qj 2 1 2 3)"
_rc "$QEMU_IO" -c 'read 0 64k' "$(qj 3 1 2 3)"

echo "*** done"
