#!/usr/bin/env bash
# group: driver io drydock-only
# The mem protocol (drydock only): a zeroed buffer, data kept while open
. "$IOTESTS/common.rc"

"$QEMU_IO" --image-opts -c 'length' -c 'read -P 0 0 1M' -c 'write -P 3 4k 4k' -c 'read -P 3 4k 4k' \
    -c 'map' "driver=mem,filename=scratch,size=1M"
"$QEMU_IO" -f raw -c 'write -P 4 0 512' -c 'read -P 4 0 512' mem:other
"$QEMU_IO" --image-opts -c 'write -P 4 0 512' -c 'read -P 4 0 512' -c length "driver=raw,file.driver=mem,file.filename=other,file.size=64k"

echo "*** done"
