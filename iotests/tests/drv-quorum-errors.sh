#!/usr/bin/env bash
# group: driver quorum error drydock-only
# quorum: bad thresholds and too few children
. "$IOTESTS/common.rc"

qj() { local t=$1 c= i; shift; for i in "$@"; do c="$c${c:+, }{\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"file\", \"filename\": \"$TEST_DIR/q$i.$IMGFMT\"}}"; done; echo "json:{\"driver\": \"quorum\", \"vote-threshold\": $t, \"children\": [$c]}"; }
for i in 1 2 3; do TEST_IMG=$TEST_DIR/q$i.$IMGFMT _make_test_img 1M >/dev/null; done
_rc "$QEMU_IO" -c 'length' "$(qj 4 1 2 3)"
_rc "$QEMU_IO" -c 'length' "$(qj 0 1 2 3)"
_rc "$QEMU_IO" -c 'length' 'json:{"driver": "quorum", "vote-threshold": 1, "children": []}'
_rc "$QEMU_IO" -c 'length' "$(qj 1 1 2 9)"

echo "*** done"
