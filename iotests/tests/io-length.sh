#!/usr/bin/env bash
# group: quick io
# length (l) prints the virtual size
. "$IOTESTS/common.rc"

for size in 512 1M 1G 1536k; do
    _make_test_img $size >/dev/null
    _io -c 'length' -c 'l'
done

echo "*** done"
