#!/usr/bin/env bash
# group: img check error
# check errors: missing file, bad options
. "$IOTESTS/common.rc"

_rc "$QEMU_IMG" check -f "$IMGFMT" "$TEST_DIR/missing"
_rc "$QEMU_IMG" check
_rc "$QEMU_IMG" check -Y "$TEST_IMG"

echo "*** done"
