#!/usr/bin/env bash
# group: img create backing
# create -u with a missing backing file, info shows it (qcow2); raw refuses backing files
. "$IOTESTS/common.rc"

_rc _make_test_img -u -b "$TEST_DIR/nosuch.$IMGFMT" -F "$IMGFMT" 1M
_rc _io -c 'read 0 512'

echo "*** done"
