#!/usr/bin/env bash
# group: rw io vector
# readv/writev at unaligned offsets with odd buffer sizes
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'writev -P 0x19 7 1 100 1000 3' -c 'readv -P 0x19 7 1104' -c 'readv -P 0x19 7 3 1000 101' -c 'read -P 0 0 7' -c 'read -P 0 1111 1' | grep -v ' ops; '

echo "*** done"
