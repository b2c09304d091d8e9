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
TEST_DIR=$(mktemp -d)
trap 'rm -rf "$TEST_DIR"' EXIT
# Both tools are run by their bare name, as iotests do
mkdir "$TEST_DIR/bin"
ln -s "$dio" "$TEST_DIR/bin/drydock-io"
passed=0 failed=0
: >"$TEST_DIR/stdin"

# qemu's _filter_qemu_io, plus TEST_DIR and the program's name; qemu's two
# lines about its own bug tracker and web site are dropped
filter() {
    sed -e 's/[0-9]* ops; [0-9/:. sec]* ([0-9/.inf]* [EPTGMKiBbytes]*\/sec and [0-9/.inf]* ops\/sec)/X ops; XX:XX:XX.X (XXX YYY\/sec and XXX ops\/sec)/' \
        -e 's/^[0-9]*,[0-9]*,[0-9:.]*,[0-9.inf]*,[0-9.inf]*$/MACHINE STATS/' \
        -e "s#$TEST_DIR#TEST_DIR#g" \
        -e 's/\(qemu\|drydock\)-io\b/IO_PROG/g' \
        -e '/^See <https:\/\/qemu.org\/contribute\/report-a-bug>/d' \
        -e '/^More information on the QEMU project/d' \
        -e 's/^\(QEMU\|drydock\) Disk exerciser$/DISK EXERCISER/'
}

# run TOOL DIR ARGS...: one tool on its own copy of the image, IMG in
# ARGS stands for the image's path; output files in DIR
run() {
    local tool=$1 dir=$2 a args=()
    shift 2
    mkdir -p "$dir"
    cp "$TEST_DIR/base.raw" "$dir/t.raw"
    sed "s#IMG#$dir/t.raw#g" "$TEST_DIR/stdin" >"$dir/stdin"
    for a in "$@"; do
        args+=("${a//IMG/$dir/t.raw}")
    done
    (cd "$TEST_DIR" && PATH="$TEST_DIR/bin:$PATH" timeout 60 "$tool" "${args[@]}" \
        <"$dir/stdin" >"$dir/out" 2>"$dir/err")
    echo "exit $?" >>"$dir/out"
    sed "s#$dir#SCRATCH#g" "$dir/out" | filter >"$dir/out.f"
    sed "s#$dir#SCRATCH#g" "$dir/err" | filter >"$dir/err.f"
}

# compare NAME ARGS...: both tools must print and leave the same
compare() {
    local name=$1 q=$TEST_DIR/q d=$TEST_DIR/d ok=1
    shift
    rm -rf "$q" "$d"
    run qemu-io "$q" "$@"
    run drydock-io "$d" "$@"
    diff -u "$q/out.f" "$d/out.f" >"$TEST_DIR/diff" || ok=0
    diff -u "$q/err.f" "$d/err.f" >>"$TEST_DIR/diff" || ok=0
    cmp -s "$q/t.raw" "$d/t.raw" || { echo "images differ" >>"$TEST_DIR/diff"; ok=0; }
    if [ $ok = 1 ]; then
        echo "[       OK ] qemu-io: $name"
        passed=$((passed + 1))
    else
        echo "[  FAILED  ] qemu-io: $name: drydock-io $*"
        cat "$TEST_DIR/diff"
        failed=$((failed + 1))
    fi
}

# compare_input NAME INPUT ARGS...: the same with INPUT (lines) on stdin,
# for the interactive prompt
compare_input() {
    local name=$1
    printf '%s\n' "$2" >"$TEST_DIR/stdin"
    shift 2
    compare "$name" "$@"
    : >"$TEST_DIR/stdin"
}

# expect NAME EXIT PATTERN ARGS...: drydock-io alone (what qemu cannot run),
# its exit code and a line of its output (stdout and stderr)
expect() {
    local name=$1 rc=$2 pattern=$3 d=$TEST_DIR/d
    shift 3
    rm -rf "$d"
    run drydock-io "$d" "$@"
    if grep -q "^exit $rc\$" "$d/out" && cat "$d/out.f" "$d/err.f" | grep -q -- "$pattern"; then
        echo "[       OK ] drydock-io: $name"
        passed=$((passed + 1))
    else
        echo "[  FAILED  ] drydock-io: $name: wanted exit $rc and '$pattern'"
        cat "$d/out" "$d/err"
        failed=$((failed + 1))
    fi
}

# The base image: 1 MiB, a pattern in its second 64 KiB
qemu-img create -q -f raw "$TEST_DIR/base.raw" 1M
qemu-io -f raw -c 'write -q -P 0x5a 64k 64k' "$TEST_DIR/base.raw"

. "$(dirname "$0")/compare-qemu-io.cases"

echo "compare-qemu-io: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
