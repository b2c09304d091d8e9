#!/usr/bin/env bash
# group: io resize
# -c commands from a loop: truncate growth and length in steps
. "$IOTESTS/common.rc"

_make_test_img 64k
_io -c 'length' -c 'truncate 128k' -c 'length' -c 'truncate 1M' -c 'length' -c 'truncate 1G' -c 'length' -c 'write -P 2 1073737728 4k' -c 'read -P 2 1073737728 4k' | grep -v ' ops; '

echo "*** done"
