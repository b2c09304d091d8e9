#!/usr/bin/env bash
# group: quick img create
# create: size suffixes
. "$IOTESTS/common.rc"

for size in 512 1k 1K 64k 1M 1.5M 1G 2T 1048576b; do
    _make_test_img $size
    _io -c length
done

echo "*** done"
