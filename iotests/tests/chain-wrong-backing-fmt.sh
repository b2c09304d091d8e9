#!/usr/bin/env bash
# group: backing error
# formats: qcow2
# A backing file with a wrong backing format
. "$IOTESTS/common.rc"

"$QEMU_IMG" create -q -f raw "$TEST_DIR/base.raw" 1M
_rc _make_test_img -b "$TEST_DIR/base.raw" -F qcow2 1M
_rc _make_test_img -b "$TEST_DIR/base.raw" -F raw 1M
_io -c 'read -P 0 0 4k' | grep -v ' ops; '

echo "*** done"
