#!/usr/bin/env bash
# group: io
# help for every alias names the full command
. "$IOTESTS/common.rc"

_make_test_img 1M >/dev/null
for a in r w f t l i d a o c q; do
    _io -c "help $a" | head -1
done

echo "*** done"
