#!/usr/bin/env bash
# group: io rw quick
# aio=io_uring (-i io_uring, file.aio=io_uring): cached and O_DIRECT reads,
# writes, flushes and a batch of AIO requests; the data stays the same
. "$IOTESTS/common.rc"

_make_test_img 1M
_io -i io_uring -c 'write -P 1 0 64k' -c 'flush' -c 'read -P 1 0 64k'
_io -n -i io_uring -c 'write -P 2 64k 64k' -c 'read -P 2 64k 64k' \
    -c 'read -P 1 0 4k'
_io -i io_uring -c 'aio_write -P 3 128k 4k' -c 'aio_write -P 4 132k 4k' \
    -c 'aio_read -P 1 0 4k' -c 'aio_flush' -c 'read -P 3 128k 4k' \
    -c 'read -P 4 132k 4k'
_io -i io_uring -c 'writev -P 5 256k 512 1k 3' -c 'readv -P 5 256k 512 1k 3'
"$QEMU_IO" --image-opts -c 'read -P 2 64k 4k' \
    "driver=$IMGFMT,file.driver=file,file.filename=$TEST_IMG,file.aio=io_uring"

echo "*** done"
