#!/usr/bin/env bash
# group: io error
# Interactive errors: bad commands do not end the session
. "$IOTESTS/common.rc"

_make_test_img 1M
printf 'nosuchcmd\nread\nread -P 1 0 4k\nwrite -P 1 0 4k\nread -P 1 0 4k\n' | _io | sed -e 's/[a-z]*-io> //g' | grep -v ' ops; '
echo

echo "*** done"
