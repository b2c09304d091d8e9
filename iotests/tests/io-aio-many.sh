#!/usr/bin/env bash
# group: rw io aio
# Many aio writes in flight at once, then read back
. "$IOTESTS/common.rc"

_make_test_img 1M
cmds=()
for i in 1 2 3 4 5 6 7 8; do cmds+=(-c "aio_write -q -P $i $((i * 65536)) 64k"); done
_io "${cmds[@]}" -c 'aio_flush'
cmds=()
for i in 1 2 3 4 5 6 7 8; do cmds+=(-c "read -q -P $i $((i * 65536)) 64k"); done
_rc _io "${cmds[@]}"

echo "*** done"
