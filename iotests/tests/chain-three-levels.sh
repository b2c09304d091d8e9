#!/usr/bin/env bash
# group: backing rw
# formats: qcow2
# A three-level chain: each level's writes shadow the lower ones
. "$IOTESTS/common.rc"

TEST_IMG=$TEST_DIR/base.$IMGFMT _make_test_img 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xb0 0 1M' "$TEST_DIR/base.$IMGFMT" >/dev/null
TEST_IMG=$TEST_DIR/mid.$IMGFMT _make_test_img -b "$TEST_DIR/base.$IMGFMT" -F "$IMGFMT" 1M
"$QEMU_IO" -f "$IMGFMT" -c 'write -P 0xc1 64k 128k' "$TEST_DIR/mid.$IMGFMT" >/dev/null
_make_test_img -b "$TEST_DIR/mid.$IMGFMT" -F "$IMGFMT" 1M
_io -c 'write -P 0xd2 128k 128k' >/dev/null
_io -c 'read -P 0xb0 0 64k' -c 'read -P 0xc1 64k 64k' -c 'read -P 0xd2 128k 128k' -c 'read -P 0xb0 256k 768k' | grep -v ' ops; '

echo "*** done"
