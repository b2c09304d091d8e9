#!/usr/bin/env bash
# group: img info
# info without -f probes the format
. "$IOTESTS/common.rc"

_make_test_img 1M
"$QEMU_IMG" info "$TEST_IMG" 2>&1 | _filter_img_info | grep -v '^WARNING\|^ *Automatically\|^ *Specify'

echo "*** done"
