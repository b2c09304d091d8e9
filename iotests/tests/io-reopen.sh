#!/usr/bin/env bash
# group: io reopen
# reopen: read-only and back, and bad options
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc_split _io -c 'write -P 1 0 4k' -c 'reopen -r' -c 'write -P 2 0 4k' -c 'reopen -w' -c 'write -P 3 0 4k' -c 'read -P 3 0 4k'
_rc_split _io -c 'reopen -o nosuchopt=1' -c 'reopen -c nosuchmode' -c 'reopen -r -w'

echo "*** done"
