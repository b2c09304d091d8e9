#!/usr/bin/env bash
# group: img create error
# create: unknown format, missing arguments
. "$IOTESTS/common.rc"

_rc "$QEMU_IMG" create -f nosuchfmt "$TEST_IMG" 1M
_rc "$QEMU_IMG" create -f "$IMGFMT"
_rc "$QEMU_IMG" create -f "$IMGFMT" "$TEST_IMG"
_rc "$QEMU_IMG" create -Y -f "$IMGFMT" "$TEST_IMG" 1M
_rc "$QEMU_IMG" create -f "$IMGFMT" "$TEST_DIR/nosuchdir/t.$IMGFMT" 1M
_rc "$QEMU_IMG" create -f "$IMGFMT" "$TEST_IMG" 1M extra

echo "*** done"
