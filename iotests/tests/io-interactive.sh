#!/usr/bin/env bash
# group: io
# Commands from standard input after a prompt
. "$IOTESTS/common.rc"

_make_test_img 1M
printf 'write -P 0x55 0 4k\nread -P 0x55 0 4k\nlength\nquit\nread 0 4k\n' | _io
echo
printf 'length\n' | _io
echo

echo "*** done"
