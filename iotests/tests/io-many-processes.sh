#!/usr/bin/env bash
# group: rw io
# Data written in one process is seen by the next, across many small writes
. "$IOTESTS/common.rc"

_make_test_img 1M
for i in 1 2 3 4 5 6; do
    _io -c "write -q -P $i $((i * 100000)) 1000"
done
for i in 1 2 3 4 5 6; do
    _io -c "read -q -P $i $((i * 100000)) 1000" -c "read -q -P 0 $((i * 100000 + 1000)) 1000"
    echo "$i: $?"
done

echo "*** done"
