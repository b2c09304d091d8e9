#!/usr/bin/env bash
# group: quick img map
# map: human output after writes
. "$IOTESTS/common.rc"

_make_test_img 4M
_io -c 'write -P 1 0 64k' -c 'write -P 2 2M 128k' -c 'write -z 3M 64k' >/dev/null
_img map | _filter_map_file

echo "*** done"
