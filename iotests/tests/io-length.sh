#!/usr/bin/env bash
# group: quick io
# length (l) prints the virtual size
. "$IOTESTS/common.rc"

imgs=()
for size in 512 1M 1G 1536k; do
    TEST_IMG=$TEST_DIR/$size.$IMGFMT _make_test_img $size >/dev/null
    imgs+=("$size.$IMGFMT")
done
_io_each -c 'length' -c 'l' "${imgs[@]}"

echo "*** done"
