#!/usr/bin/env bash
# group: rw io
# Writes of many sizes, from one byte to 1 MiB, read back
. "$IOTESTS/common.rc"

_make_test_img 4M
off=0
for size in 1 7 511 512 513 4095 4096 4097 65535 65536 65537 1048576; do
    _io -c "write -q -P $((size % 250 + 1)) $off $size" -c "read -q -P $((size % 250 + 1)) $off $size" -c "read -q -P 0 $((off + size)) 1"
    echo "size $size at $off: exit $?"
    off=$(( (off + size + 1000) ))
done

echo "*** done"
