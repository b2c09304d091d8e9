#!/usr/bin/env bash
# group: quick io
# info (i) on the image
. "$IOTESTS/common.rc"

_known_bug qcow2 -- qcow2 info from drydock has no format-specific block and a vm state offset of 0
_make_test_img 1M
_io -c 'info' -c 'i'

echo "*** done"
