#!/usr/bin/env bash
# group: img create
# create with sizes that are not multiples of 512
. "$IOTESTS/common.rc"

imgs=()
for size in 1000 513 1 4097; do
    TEST_IMG=$TEST_DIR/$size.$IMGFMT _make_test_img $size
    TEST_IMG=$TEST_DIR/$size.$IMGFMT _img info | _filter_img_info | grep 'virtual size'
    imgs+=("$size.$IMGFMT")
done
_io_each -c length "${imgs[@]}"

echo "*** done"
