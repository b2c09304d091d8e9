#!/usr/bin/env bash
# group: img create error
# create: bad sizes
. "$IOTESTS/common.rc"

for size in -1 abc 1X 1.5 '' 0x10 99999999999T; do
    echo "--- size '$size'"
    _rc "$QEMU_IMG" create -f "$IMGFMT" "$TEST_IMG" $size
done

echo "*** done"
