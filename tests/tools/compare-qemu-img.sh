#!/usr/bin/env bash
# Run a sample of qemu-img invocations through Debian's qemu-img and through
# drydock-img on fresh raw images and compare stdout, stderr, the exit code
# and the images afterwards, after iotests-style filters.
#   tests/tools/compare-qemu-img.sh build/asan/bin     (the tools' folder)
# Prints one line per case and "compare-qemu-img: N passed, N failed".
set -uo pipefail

dimg=$(cd "${1:-build/asan/bin}" && pwd)/drydock-img
if ! command -v qemu-img >/dev/null; then
    echo "compare-qemu-img: qemu-img not installed" >&2
    exit 1
fi
QEMU_TOOL=qemu-img DRYDOCK_TOOL=drydock-img DRYDOCK_PATH=$dimg
. "$(dirname "$0")/compare-common.sh"

# base.raw: 1 MiB with a pattern at 64 KiB; other.raw: 2 MiB, the same
# bytes but one more pattern at 1000 and one past 1 MiB
qemu-img create -q -f raw "$TEST_DIR/base.raw" 1M
qemu-io -f raw -c 'write -q -P 0x5a 64k 64k' "$TEST_DIR/base.raw"
qemu-img create -q -f raw "$TEST_DIR/other.raw" 2M
qemu-io -f raw -c 'write -q -P 0x5a 64k 64k' -c 'write -q -P 1 1000 10' \
    -c 'write -q -P 2 1536k 10' "$TEST_DIR/other.raw"

# t.qcow2: 1 MiB with the same pattern; top.qcow2 over back.qcow2 (named
# relatively): back has 1 at 0 and 2 at 128k, top has 3 at 64k
qemu-img create -q -f qcow2 "$TEST_DIR/t.qcow2" 1M
qemu-io -f qcow2 -c 'write -q -P 0x5a 64k 64k' "$TEST_DIR/t.qcow2"
qemu-img create -q -f qcow2 "$TEST_DIR/back.qcow2" 1M
qemu-io -f qcow2 -c 'write -q -P 1 0 64k' -c 'write -q -P 2 128k 64k' "$TEST_DIR/back.qcow2"
(cd "$TEST_DIR" && qemu-img create -q -f qcow2 -b back.qcow2 -F qcow2 top.qcow2)
qemu-io -f qcow2 -c 'write -q -P 3 64k 64k' "$TEST_DIR/top.qcow2"

. "$(dirname "$0")/compare-qemu-img.cases"

[ "$pending" -eq 0 ] || echo "compare-qemu-img: $pending pending (counted apart, waiting for driver features)"
echo "compare-qemu-img: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
