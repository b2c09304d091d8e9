#!/usr/bin/env bash
# group: io
# abort ends qemu-io with SIGABRT; later commands do not run
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 4k'
ASAN_OPTIONS=handle_abort=0:detect_leaks=0 _rc_signal _io -c 'abort' -c 'write -P 2 0 4k'
_io -c 'read -P 1 0 4k'

echo "*** done"
