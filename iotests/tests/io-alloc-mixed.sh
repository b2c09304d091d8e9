#!/usr/bin/env bash
# group: io alloc
# alloc counts across a mix of written and unwritten ranges
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 1 0 64k' -c 'write -P 1 192k 64k' -c 'write -P 1 448k 64k' >/dev/null
_io -c 'alloc 0 1M' -c 'alloc 0 64k' -c 'alloc 64k 128k' -c 'alloc 60k 8k' -c 'alloc 512k 512k'

echo "*** done"
