#!/usr/bin/env bash
# group: io
# help for every alias names the full command
. "$IOTESTS/common.rc"

_make_test_img 1M >/dev/null
args=()
for a in r w f t l i d a o c q; do
    args+=(-c "help $a")
done
# the first line of each command's help: "ALIAS ARGS -- what it does"
_io "${args[@]}" | grep -E '^[a-z] '

echo "*** done"
