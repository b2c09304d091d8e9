#!/usr/bin/env bash
# group: driver blkdebug rw
# blkdebug align: requests are aligned to 4k below the format
. "$IOTESTS/common.rc"

_make_test_img 1M
"$QEMU_IO" -c 'write -P 7 1 1' -c 'write -P 8 4095 2' -c 'read -v 0 16' -c 'read -v 4088 16' \
    "json:{\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"blkdebug\", \"align\": 4096, \"image\": {\"driver\": \"file\", \"filename\": \"$TEST_IMG\"}}}" | _filter_io_stats

echo "*** done"
