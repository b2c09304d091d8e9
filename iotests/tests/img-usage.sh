#!/usr/bin/env bash
# group: img error
# qemu-img itself: no command, unknown command, --version
. "$IOTESTS/common.rc"

_rc "$QEMU_IMG" 2>&1 | sed -n '1p;$p'
_rc "$QEMU_IMG" nosuchcommand 2>&1 | sed -n '1p;$p'
"$QEMU_IMG" --version | sed -n '1s/ version .*/ version/p'

echo "*** done"
