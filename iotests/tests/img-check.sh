#!/usr/bin/env bash
# group: quick img check
# check: a fresh image is clean (raw has no check)
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc _img check
_rc _img check -q

echo "*** done"
