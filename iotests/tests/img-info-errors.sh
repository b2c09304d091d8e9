#!/usr/bin/env bash
# group: img info error
# info errors: missing file, wrong format, bad output
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc "$QEMU_IMG" info "$TEST_DIR/missing"
_rc "$QEMU_IMG" info -f nosuchfmt "$TEST_IMG"
_rc "$QEMU_IMG" info --output=xml "$TEST_IMG"
_rc "$QEMU_IMG" info
_rc "$QEMU_IMG" info -Y "$TEST_IMG"

echo "*** done"
