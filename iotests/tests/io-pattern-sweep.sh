#!/usr/bin/env bash
# group: rw io
# Sixteen 4 KiB writes with distinct patterns, each read back
. "$IOTESTS/common.rc"

_make_test_img 1M
cmds=() checks=()
for i in $(seq 0 15); do
    cmds+=(-c "write -q -P $((i * 16 + 1)) $((i * 4096 * 3)) 4k")
    checks+=(-c "read -q -P $((i * 16 + 1)) $((i * 4096 * 3)) 4k" -c "read -q -P 0 $((i * 4096 * 3 + 4096)) 8k")
done
_rc _io "${cmds[@]}"
_rc _io "${checks[@]}"

echo "*** done"
