#!/usr/bin/env bash
# group: rw io
# A large sparse image: writes at the far end
. "$IOTESTS/common.rc"

_make_test_img 64G
_io -c 'write -P 0x5c 68719472640 4k' -c 'read -P 0x5c 68719472640 4k' -c 'read -P 0 34359738368 4k' -c 'length' | grep -v ' ops; '
_rc _io -c 'write 68719476736 512'

echo "*** done"
