#!/usr/bin/env bash
# group: rw io zero discard
# Zeroing and discarding the whole image
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 3 0 1M' -c 'write -z 0 1M' -c 'read -P 0 0 1M' | grep -v ' ops; '
_io -c 'write -P 4 0 1M' -c 'discard 0 1M' -c 'write -z -u 0 1M' -c 'read -P 0 0 1M' | grep -v ' ops; '

echo "*** done"
