#!/usr/bin/env bash
# group: io error
# Requests past the end of the image fail
. "$IOTESTS/common.rc"

_make_test_img 1M
for cmd in 'read 1M 512' 'write 1M 512' 'read 1048064 1024' 'write -z 1040k 16k' 'readv 1048064 512 512' 'writev 1M 512' 'aio_read 2M 512' 'alloc 2M 512' 'discard 1048064 1k'; do
    echo "--- $cmd"
    _rc _io -c "$cmd" -c 'aio_flush'
done

echo "*** done"
