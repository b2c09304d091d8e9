#!/usr/bin/env bash
# group: quick io
# help lists the commands; help CMD explains one
. "$IOTESTS/common.rc"

_make_test_img 1M >/dev/null
_io -c 'help' | sed -n '1,40p'
echo "--- help CMD"
args=()
for cmd in read write readv writev aio_read aio_write aio_flush flush truncate length info discard alloc map open close reopen break remove_break resume wait_break abort sigraise sleep quit help; do
    args+=(-c "help $cmd")
done
_io "${args[@]}"
_rc _io -c 'help nosuchcmd'

echo "*** done"
