#!/usr/bin/env bash
# group: quick io
# Command aliases run the same command
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'w -P 3 0 4k' -c 'r -P 3 0 4k' -c 'l' -c 'a 0 4k' -c 'd 0 4k' -c 'f' -c 't 2M' -c 'l' -c 'q' -c 'l'

echo "*** done"
