#!/usr/bin/env bash
# group: driver io
# null-co and null-aio: sizes, zero reads, writes accepted
. "$IOTESTS/common.rc"

for drv in null-co null-aio; do
    echo "--- $drv"
    "$QEMU_IO" --image-opts -c 'length' -c 'read -P 0 0 64k' -c 'write -P 1 0 64k' -c 'read -P 0 0 64k' \
        -c 'aio_read -P 0 64k 4k' -c 'aio_flush' "driver=$drv,size=2M,read-zeroes=on"
    "$QEMU_IO" -c 'length' "json:{\"driver\": \"$drv\"}"
done
"$QEMU_IO" -c 'read -P 0 0 4k' "json:{\"driver\": \"raw\", \"file\": {\"driver\": \"null-co\", \"size\": 4096, \"read-zeroes\": true}}"

echo "*** done"
