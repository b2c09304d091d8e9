#!/usr/bin/env bash
# qcow2 interop matrix: for each creation option, an image made by
# drydock-img and one made by qemu-img with the same options get the same
# workload (writes, zero writes, discards, compressed writes) through
# drydock-io and qemu-io.  Then:
#   - qemu-img check passes on drydock's image,
#   - qemu-img compare finds both images equal,
#   - drydock-img check passes on qemu's image,
#   - drydock-img compare (drydock reading qemu's image) finds them equal.
#   tests/tools/interop-qcow2-matrix.sh build/asan/bin   (the tools' folder)
# Prints one line per option set and "interop-qcow2-matrix: N passed, N failed".
set -uo pipefail

bin=$(cd "${1:-build/asan/bin}" && pwd)
if ! command -v qemu-io >/dev/null || ! command -v qemu-img >/dev/null; then
    echo "interop-qcow2-matrix: qemu-io/qemu-img not installed" >&2
    exit 1
fi
dimg=$bin/drydock-img
dio=$bin/drydock-io
# Scratch images in memory where possible: tool runs, not fsyncs, dominate
T=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0

# The base image of the backing-file rows: a pattern over its first 3 MiB
qemu-img create -q -f qcow2 "$T/base.qcow2" 4M
qemu-io -f qcow2 -c 'write -q -P 0x77 0 3M' "$T/base.qcow2"

# The workload for cluster size $1 and disk size $2; compressed writes
# only where they can happen ($3 = nocomp: preallocated, data file):
# QEMU compresses into unallocated clusters only
workload() {
    local c=$1 size=$2 comp=${3:-}
    local last=$((size - 2 * c))
    W=(-c 'write -q -P 0x11 0 100k'
       -c 'write -q -P 0x22 150000 7000'
       -c 'write -q -z 64k 64k'
       -c 'write -q -z -u 1M 256k'
       -c 'write -q -P 0x33 2M 300k'
       -c 'discard -q 2M 128k'
       -c 'write -q -P 0x44 1536k 4k')
    if [ "$comp" != nocomp ]; then
        W+=(-c "write -q -c -P 0x55 $last $((2 * c))"
            -c "write -q -P 0x66 $((last + 100)) 50"
            -c "write -q -c $((size - 4 * c)) $c")
    fi
}

# row NAME OPTIONS [nocomp] [backing]
row() {
    local name=$1 opts=$2 comp=${3:-} backing=${4:-} c=65536 size
    local d=$T/$name.d.qcow2 q=$T/$name.q.qcow2 why=
    local bopt=()

    case $opts in
    *cluster_size=512*) c=512 ;;
    *cluster_size=4k*) c=4096 ;;
    *cluster_size=2M*) c=$((2 * 1024 * 1024)) ;;
    esac
    size=$((c > 1048576 ? 8 * c : 4 * 1048576))
    [ "$backing" = backing ] && bopt=(-b "$T/base.qcow2" -F qcow2)
    workload "$c" "$size" "$comp"
    local dopts=${opts//DATA/$T/$name.d.data}
    local qopts=${opts//DATA/$T/$name.q.data}
    if ! out=$("$dimg" create -f qcow2 ${dopts:+-o "$dopts"} "${bopt[@]}" \
               "$d" "$size" 2>&1); then
        why="drydock-img create: $out"
    elif ! out=$(qemu-img create -q -f qcow2 ${qopts:+-o "$qopts"} \
                 "${bopt[@]}" "$q" "$size" 2>&1); then
        why="qemu-img create: $out"
    elif ! out=$("$dio" -f qcow2 "${W[@]}" "$d" 2>&1) || [ -n "$out" ]; then
        why="drydock-io: $out"
    elif ! out=$(qemu-io -f qcow2 "${W[@]}" "$q" 2>&1) || [ -n "$out" ]; then
        why="qemu-io: $out"
    elif ! out=$(qemu-img check -q -f qcow2 "$d" 2>&1); then
        why="qemu-img check (drydock's image): $out"
    elif ! out=$(qemu-img compare -q -f qcow2 -F qcow2 "$d" "$q" 2>&1); then
        why="qemu-img compare: $out"
    elif ! out=$("$dimg" check -q -f qcow2 "$q" 2>&1); then
        why="drydock-img check (qemu's image): $out"
    elif ! out=$("$dimg" compare -q -f qcow2 -F qcow2 "$q" "$d" 2>&1); then
        why="drydock-img compare: $out"
    fi
    if [ -z "$why" ]; then
        echo "ok   $name ($opts)"
        passed=$((passed + 1))
    else
        echo "FAIL $name ($opts): $why"
        failed=$((failed + 1))
    fi
}

row default ''
row compat-0.10 compat=0.10
row compat-1.1 compat=1.1
row cluster-512 cluster_size=512
row cluster-4k cluster_size=4k
row cluster-64k cluster_size=64k
row cluster-2M cluster_size=2M
row refcount-1 refcount_bits=1
row refcount-16 refcount_bits=16
row refcount-64 refcount_bits=64
row zlib compression_type=zlib
row zstd compression_type=zstd
row lazy-refcounts lazy_refcounts=on
row extended-l2 extended_l2=on
row extended-l2-2M extended_l2=on,cluster_size=2M
row extended-l2-zstd extended_l2=on,compression_type=zstd
row extended-l2-metadata extended_l2=on,preallocation=metadata nocomp
row prealloc-off preallocation=off
row prealloc-metadata preallocation=metadata nocomp
row prealloc-falloc preallocation=falloc nocomp
row prealloc-full preallocation=full nocomp
row data-file data_file=DATA nocomp
row data-file-raw data_file=DATA,data_file_raw=on nocomp
row backing '' '' backing
row backing-extended-l2 extended_l2=on '' backing
row backing-extended-l2-metadata extended_l2=on,preallocation=metadata nocomp backing
row backing-compat-0.10 compat=0.10 '' backing

echo "interop-qcow2-matrix: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
