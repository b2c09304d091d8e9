#!/usr/bin/env bash
# group: quick img create
# create: size suffixes
. "$IOTESTS/common.rc"

imgs=()
for size in 512 1k 1K 64k 1M 1.5M 1G 2T 1048576b; do
    TEST_IMG=$TEST_DIR/$size.$IMGFMT _make_test_img $size
    imgs+=("$size.$IMGFMT")
done
_io_each -c length "${imgs[@]}"

echo "*** done"
