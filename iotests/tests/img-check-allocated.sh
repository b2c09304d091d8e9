#!/usr/bin/env bash
# group: img check
# check: the allocation statistics of a written image
. "$IOTESTS/common.rc"

_known_bug qcow2 -- drydock qcow2 check prints no allocated/fragmented clusters line
_make_test_img 1M
_io -c 'write -P 1 0 256k' -c 'discard 0 64k' >/dev/null
_rc _img check

echo "*** done"
