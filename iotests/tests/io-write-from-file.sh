#!/usr/bin/env bash
# group: rw io
# write -s FILE writes a file's contents
. "$IOTESTS/common.rc"

_make_test_img 1M
printf 'hello drydock, hello qemu-io..\n' > "$TEST_DIR/src"
_io -c "write -s $TEST_DIR/src 512 32" -c 'read -v 512 32'

echo "*** done"
