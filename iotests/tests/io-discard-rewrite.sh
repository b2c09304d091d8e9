#!/usr/bin/env bash
# group: rw io discard
# Discard then write again: the new data reads back
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 256k' -c 'discard 0 256k' -c 'write -P 2 64k 64k' -c 'read -P 2 64k 64k' | grep -v ' ops; '
_io -c 'read -P 2 64k 64k' -c 'alloc 64k 64k' | grep -v ' ops; '

echo "*** done"
