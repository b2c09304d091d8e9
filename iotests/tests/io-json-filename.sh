#!/usr/bin/env bash
# group: io driver
# json: filenames
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -c 'write -P 0x1e 0 4k' >/dev/null
"$QEMU_IO" -c 'read -P 0x1e 0 4k' "json:{\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"file\", \"filename\": \"$TEST_IMG\"}}"
_rc "$QEMU_IO" -c 'length' "json:{\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"nosuchdriver\"}}"
# where the JSON error is reported differs (docs/tools.md): the message only
_rc "$QEMU_IO" -c 'length' 'json:{"driver": ' 2>&1 | sed -e 's/JSON options: .*/JSON options: .../'

echo "*** done"
