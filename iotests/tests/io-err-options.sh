#!/usr/bin/env bash
# group: io error
# qemu-io's own options: bad ones, missing files, unknown formats
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc "$QEMU_IO" -f "$IMGFMT" -c length "$TEST_DIR/missing.$IMGFMT"
_rc "$QEMU_IO" -f nosuchfmt -c length "$TEST_IMG"
# the usage text names the program's project: its first lines only
_rc "$QEMU_IO" -Y -c length "$TEST_IMG" 2>&1 | sed -n '1,2p;$p'
_rc "$QEMU_IO" -f "$IMGFMT" -t nosuchmode -c length "$TEST_IMG"
_rc "$QEMU_IO" -f "$IMGFMT" -i nosuchaio -c length "$TEST_IMG"
_rc "$QEMU_IO" -f "$IMGFMT" -d nosuchdiscard -c length "$TEST_IMG"
_rc "$QEMU_IO" -f "$IMGFMT" -c length "$TEST_IMG" "$TEST_IMG" 2>&1 | sed -n '1p;$p'
_rc "$QEMU_IO" -c 'length'

echo "*** done"
