#!/usr/bin/env bash
# group: driver
# null-co: read-zeroes off leaves the buffer as it was; latency is accepted
. "$IOTESTS/common.rc"

"$QEMU_IO" --image-opts -c 'read -P 0 0 4k' "driver=null-co,size=64k,read-zeroes=on,latency-ns=1000" | grep -v ' ops; '
_rc "$QEMU_IO" --image-opts -c 'length' "driver=null-co,size=64k,nosuch=1"

echo "*** done"
