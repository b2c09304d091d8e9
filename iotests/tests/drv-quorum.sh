#!/usr/bin/env bash
# group: driver io quorum
# quorum of three: writes reach every child, reads agree
. "$IOTESTS/common.rc"

qj() { local t=$1 c= i; shift; for i in "$@"; do c="$c${c:+, }{\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"file\", \"filename\": \"$TEST_DIR/q$i.$IMGFMT\"}}"; done; echo "json:{\"driver\": \"quorum\", \"vote-threshold\": $t, \"children\": [$c]}"; }
for i in 1 2 3; do TEST_IMG=$TEST_DIR/q$i.$IMGFMT _make_test_img 1M >/dev/null; done
"$QEMU_IO" -c 'write -P 0x71 0 64k' -c 'read -P 0x71 0 64k' -c 'length' "$(qj 2 1 2 3)"
for i in 1 2 3; do "$QEMU_IO" -f "$IMGFMT" -c 'read -P 0x71 0 64k' "$TEST_DIR/q$i.$IMGFMT" | _filter_io_stats; done

echo "*** done"
