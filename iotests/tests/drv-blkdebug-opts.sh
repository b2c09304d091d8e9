#!/usr/bin/env bash
# group: driver blkdebug error drydock-only
# blkdebug --image-opts and its errors (unknown event, bad alignment, probing): drydock's messages
. "$IOTESTS/common.rc"

_make_test_img 1M
_rc "$QEMU_IO" --image-opts -c 'read -P 0 0 4k' "driver=$IMGFMT,file.driver=blkdebug,file.image.filename=$TEST_IMG"
_rc "$QEMU_IO" --image-opts -c 'length' "driver=$IMGFMT,file.driver=blkdebug,file.inject-error.0.event=nosuchevent,file.image.filename=$TEST_IMG"
_rc "$QEMU_IO" -c 'length' "blkdebug::$TEST_IMG"
_rc "$QEMU_IO" -c 'length' "json:{\"driver\": \"$IMGFMT\", \"file\": {\"driver\": \"blkdebug\", \"align\": 3, \"image\": {\"driver\": \"file\", \"filename\": \"$TEST_IMG\"}}}"

echo "*** done"
