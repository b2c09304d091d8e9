#!/usr/bin/env bash
# group: driver blkdebug error
# blkdebug: a rule on event none with an iotype fails every request of that type
. "$IOTESTS/common.rc"

_make_test_img 1M
for t in read write; do
    bd="json:{\"driver\": \"raw\", \"file\": {\"driver\": \"blkdebug\", \"inject-error\": [{\"event\": \"none\", \"iotype\": \"$t\", \"errno\": 5}], \"image\": {\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"file\", \"filename\": \"$TEST_IMG\"}}}}"
    _rc "$QEMU_IO" -c 'write -P 1 0 4k' -c 'read -P 0 0 4k' "$bd"
done

echo "*** done"
