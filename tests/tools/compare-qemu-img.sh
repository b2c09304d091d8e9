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

. "$(dirname "$0")/compare-qemu-img.cases"

echo "compare-qemu-img: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
