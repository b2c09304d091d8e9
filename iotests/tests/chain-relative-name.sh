#!/usr/bin/env bash
# group: backing
# formats: qcow2
# A relative backing file name resolves against the overlay's directory
. "$IOTESTS/common.rc"

TEST_IMG=$TEST_DIR/base.$IMGFMT _make_test_img 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT" >/dev/null
mkdir "$TEST_DIR/sub"
cp "$TEST_DIR/base.$IMGFMT" "$TEST_DIR/sub/base.$IMGFMT"
(cd "$TEST_DIR/sub" && "$QEMU_IMG" create -q -f "$IMGFMT" -b base.$IMGFMT -F "$IMGFMT" top.$IMGFMT 1M)
"$QEMU_IO" -f "$IMGFMT" -c 'read -P 0xb0 0 4k' "$TEST_DIR/sub/top.$IMGFMT" | grep -v ' ops; '
"$QEMU_IMG" info -f "$IMGFMT" "$TEST_DIR/sub/top.$IMGFMT" | _filter_img_info | grep backing

echo "*** done"
