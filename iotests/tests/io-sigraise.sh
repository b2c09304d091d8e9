#!/usr/bin/env bash
# group: io
# sigraise raises a signal: the exit status names it
. "$IOTESTS/common.rc"

_make_test_img 1M
for sig in 15 9; do
    echo "--- sigraise $sig"
    ASAN_OPTIONS=detect_leaks=0 _rc_signal _io -c 'length' -c "sigraise $sig" -c 'length'
done
_rc _io -c 'sigraise x'

echo "*** done"
