#!/usr/bin/env bash
# group: img create convert error
# create and convert: an unknown -o option is named
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc "$QEMU_IMG" create -f "$IMGFMT" -o nosuchoption=1 "$TEST_DIR/x" 1M
_rc "$QEMU_IMG" convert -f "$IMGFMT" -O "$IMGFMT" -o nosuchopt=1 "$TEST_IMG" "$TEST_DIR/x"

echo "*** done"
