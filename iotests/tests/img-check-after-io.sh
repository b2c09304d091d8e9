#!/usr/bin/env bash
# group: img check rw
# The image is left consistent after many mixed writes (check, compare with a raw copy)
. "$IOTESTS/common.rc"

_make_test_img 4M
"$QEMU_IMG" create -q -f raw "$TEST_DIR/ref.raw" 4M
cmds=()
for i in $(seq 1 20); do
    off=$(( (i * 7919 * 512) % (4 * 1048576 - 65536) ))
    len=$(( (i * 3 % 17 + 1) * 2048 ))
    if [ $((i % 4)) -eq 0 ]; then cmds+=(-c "write -q -z $off $len"); else cmds+=(-c "write -q -P $i $off $len"); fi
done
_io "${cmds[@]}"
"$QEMU_IO" -f raw "${cmds[@]}" "$TEST_DIR/ref.raw"
_rc "$QEMU_IMG" compare -f "$IMGFMT" -F raw "$TEST_IMG" "$TEST_DIR/ref.raw"
_img check 2>&1 | grep -v -e '^Image end offset' -e 'allocated,'

echo "*** done"
