#!/usr/bin/env bash
# group: rw io discard
# discard at unaligned offsets never changes bytes outside the range
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0xbb 0 192k' -c 'discard 1000 70000' >/dev/null
_io -c 'read -P 0xbb 0 1000' -c 'read -P 0xbb 71000 125608' | grep -v ' ops; '

echo "*** done"
