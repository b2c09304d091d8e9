#!/usr/bin/env bash
# group: rw io
# Writes of many sizes, from one byte to 1 MiB, read back
. "$IOTESTS/common.rc"

_make_test_img 4M
off=0 args=()
for size in 1 7 511 512 513 4095 4096 4097 65535 65536 65537 1048576; do
    p=$((size % 250 + 1))
    args+=(-c "write -q -P $p $off $size" -c "read -q -P $p $off $size" -c "read -q -P 0 $((off + size)) 1")
    off=$(( (off + size + 1000) ))
done
# one process: a wrong byte prints "Pattern verification failed at offset N"
_rc _io "${args[@]}"

echo "*** done"
