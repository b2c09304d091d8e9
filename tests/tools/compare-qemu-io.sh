#!/usr/bin/env bash
# Run a sample of qemu-io invocations through Debian's qemu-io and through
# drydock-io on fresh raw images and compare stdout, stderr, the exit code
# and the image afterwards, after iotests-style filters (the statistics
# line's numbers, TEST_DIR, the program name).
#   tests/tools/compare-qemu-io.sh build/asan/bin     (the tools' folder)
# Prints one line per case and "compare-qemu-io: N passed, N failed".
set -uo pipefail

dio=$(cd "${1:-build/asan/bin}" && pwd)/drydock-io
if ! command -v qemu-io >/dev/null; then
    echo "compare-qemu-io: qemu-io not installed" >&2
    exit 1
fi
QEMU_TOOL=qemu-io DRYDOCK_TOOL=drydock-io DRYDOCK_PATH=$dio
. "$(dirname "$0")/compare-common.sh"

# The base image: 1 MiB, a pattern in its second 64 KiB
qemu-img create -q -f raw "$TEST_DIR/base.raw" 1M
qemu-io -f raw -c 'write -q -P 0x5a 64k 64k' "$TEST_DIR/base.raw"

. "$(dirname "$0")/compare-qemu-io.cases"

[ "$pending" -eq 0 ] || echo "compare-qemu-io: $pending pending (counted apart, waiting for driver features)"
echo "compare-qemu-io: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
