#!/usr/bin/env bash
# Run the scenario iotests (iotests/tests/*.scn) through drydock run for
# each format they apply to and compare with their golden output after
# the iotests filters (IOTESTS-CONTRACT: TEST_DIR, IMGFMT, creation and
# statistics lines).  --update (regenerate the goldens) also checks that
# three seeds give the same output; a check runs seed 1 only.
# iotests/check runs them too once it lands; this keeps them checked
# until then and regenerates the goldens:
#   tests/tools/scenario-iotests.sh build/asan/bin [--update] [NAME...]
# Prints one line per case and "scenario-iotests: N passed, N failed".
set -uo pipefail

bin=$(cd "${1:-build/asan/bin}" && pwd)
shift || true
update=false
[ "${1:-}" = --update ] && { update=true; shift; }
cd "$(dirname "$0")/../../iotests/tests" || exit 1
export DRYDOCK=$bin/drydock DRYDOCK_IO=$bin/drydock-io DRYDOCK_IMG=$bin/drydock-img
export QEMU_IO=$DRYDOCK_IO QEMU_IMG=$DRYDOCK_IMG IMGOPTS=
passed=0 failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

filter() {
    sed -e "s#$TEST_DIR#TEST_DIR#g" \
        -e "s#^Formatting '\([^']*\)', fmt=\([^ ]*\) .*\bsize=\([0-9]*\).*#Formatting '\1', fmt=\2 size=\3#" \
        -e "s#\.$IMGFMT\b#.IMGFMT#g" -e "s#fmt=$IMGFMT\b#fmt=IMGFMT#g" \
        -e "s#format: $IMGFMT\b#format: IMGFMT#g" \
        -e 's#[0-9]* ops; [0-9/:. sec]* ([0-9/.inf]* [EPTGMKiBbytes]*/sec and [0-9/.inf]* ops/sec)#X ops; XX:XX:XX.X (XXX YYY/sec and XXX ops/sec)#' \
        -e 's#drydock-io#qemu-io#g; s#drydock-img#qemu-img#g'
}

# run NAME FMT SEED: the filtered output in $work/NAME.FMT.SEED; exit code
run() {
    export IMGFMT=$2 SEED=$3 TEST_DIR=$work/$1.$2.$3.d
    export TEST_IMG=$TEST_DIR/t.$IMGFMT
    rm -rf "$TEST_DIR" && mkdir -p "$TEST_DIR"
    "$DRYDOCK" run --seed "$SEED" "$1.scn" >"$work/raw" 2>&1
    local rc=$?
    filter <"$work/raw" >"$work/$1.$2.$3"
    return $rc
}

check() {
    local name=$1 fmt=$2 rc golden seed
    run "$name" "$fmt" 1; rc=$?
    [ $rc -eq 77 ] && { echo "$name ($fmt): not run"; return; }
    $update && seeds="2 3" || seeds=
    for seed in $seeds; do
        run "$name" "$fmt" $seed
        cmp -s "$work/$name.$fmt.1" "$work/$name.$fmt.$seed" ||
            { echo "FAIL $name ($fmt): seed $seed differs"; rc=1; }
    done
    golden=$name.out
    [ -f "$name.out.$fmt" ] && golden=$name.out.$fmt
    if $update && [ $rc -eq 0 ]; then
        cp "$work/$name.$fmt.1" "$name.out.$fmt"
        echo "$name ($fmt): updated"
        return
    fi
    if [ $rc -ne 0 ]; then
        echo "FAIL $name ($fmt): exit $rc"; sed 's/^/    /' "$work/$name.$fmt.1"
        failed=$((failed + 1))
    elif ! diff -u -b "$golden" "$work/$name.$fmt.1" >"$work/diff"; then
        echo "FAIL $name ($fmt): output differs"; sed 's/^/    /' "$work/diff"
        failed=$((failed + 1))
    else
        echo "$name ($fmt): ok"
        passed=$((passed + 1))
    fi
}

names=("$@")
[ ${#names[@]} -eq 0 ] && names=($(ls *.scn | sed 's/\.scn$//'))
for name in "${names[@]}"; do
    fmts=$(sed -n 's/^# formats: *//p' "$name.scn")
    for fmt in ${fmts:-qcow2 raw}; do
        check "$name" "$fmt"
    done
    # One golden for all formats when they agree
    if $update; then
        outs=(); for fmt in ${fmts:-qcow2 raw}; do
            [ -f "$name.out.$fmt" ] && outs+=("$name.out.$fmt"); done
        if [ ${#outs[@]} -gt 0 ] && { [ ${#outs[@]} -eq 1 ] ||
               cmp -s "${outs[0]}" "${outs[1]}"; }; then
            mv "${outs[0]}" "$name.out"; rm -f "${outs[@]:1}"
        fi
    fi
done
echo "scenario-iotests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
