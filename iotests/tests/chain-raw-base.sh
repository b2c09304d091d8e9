#!/usr/bin/env bash
# group: backing rw
# formats: qcow2
# A raw backing file under a qcow2 overlay
. "$IOTESTS/common.rc"

"$QEMU_IMG" create -q -f raw "$TEST_DIR/base.raw" 1M
"$QEMU_IO" -f raw -c 'write -P 0x99 0 64k' "$TEST_DIR/base.raw" >/dev/null
_make_test_img -b "$TEST_DIR/base.raw" -F raw 1M
_io -c 'read -P 0x99 0 64k' -c 'write -P 0x98 0 4k' -c 'read -P 0x98 0 4k' -c 'read -P 0x99 4k 60k' | grep -v ' ops; '
"$QEMU_IO" -f raw -c 'read -P 0x99 0 64k' "$TEST_DIR/base.raw" | grep -v ' ops; '

echo "*** done"
