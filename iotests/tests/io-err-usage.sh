#!/usr/bin/env bash
# group: io error
# Bad options and argument counts of commands
. "$IOTESTS/common.rc"

_make_test_img 1M
for cmd in 'read' 'read 0' 'read 0 512 512' 'read -X 0 512' 'write -Z 0 512' 'readv 0' 'writev -P' 'length 1' 'flush x' 'truncate' 'alloc' 'map x' 'discard 0' 'aio_read' 'nosuchcommand' 'sleep'; do
    echo "--- $cmd"
    _rc _io -c "$cmd"
done

echo "*** done"
