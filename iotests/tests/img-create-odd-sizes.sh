#!/usr/bin/env bash
# group: img create
# create with sizes that are not multiples of 512
. "$IOTESTS/common.rc"

for size in 1000 513 1 4097; do
    _make_test_img $size
    _io -c length
    _img info | _filter_img_info | grep 'virtual size'
done

echo "*** done"
