# Shared by tests/tools/compare-*.sh (sourced): a scratch TEST_DIR, the
# iotests-style filters, and compare / compare_input / expect, which run a
# case through qemu's tool ($QEMU_TOOL) and drydock's ($DRYDOCK_TOOL, by
# bare name from $TEST_DIR/bin) and count passed and failed cases.
# The caller sets QEMU_TOOL, DRYDOCK_TOOL and DRYDOCK_PATH (the binary).

TEST_DIR=$(mktemp -d)
trap 'rm -rf "$TEST_DIR"' EXIT
# Both tools are run by their bare name, as iotests do
mkdir "$TEST_DIR/bin"
ln -s "$DRYDOCK_PATH" "$TEST_DIR/bin/$DRYDOCK_TOOL"
passed=0 failed=0
: >"$TEST_DIR/stdin"

# qemu's _filter_qemu_io and _filter_img_info's disk size lines, plus
# TEST_DIR and the program's name; qemu's two lines about its own bug
# tracker and web site are dropped
filter_exprs=(
    -e 's/[0-9]* ops; [0-9/:. sec]* ([0-9/.inf]* [EPTGMKiBbytes]*\/sec and [0-9/.inf]* ops\/sec)/X ops; XX:XX:XX.X (XXX YYY\/sec and XXX ops\/sec)/'
    -e 's/^[0-9]*,[0-9]*,[0-9:.]*,[0-9.inf]*,[0-9.inf]*$/MACHINE STATS/'
    -e "s#$TEST_DIR#TEST_DIR#g"
    -e 's/\(qemu\|drydock\)-io\b/IO_PROG/g'
    -e 's/\(qemu\|drydock\)-img\b/IMG_PROG/g'
    -e '/^disk size: /d' -e '/^    "actual-size": /d'
    -e '/^See <https:\/\/qemu.org\/contribute\/report-a-bug>/d'
    -e '/^More information on the QEMU project/d'
    -e 's/^\(QEMU\|drydock\) Disk exerciser$/DISK EXERCISER/'
    -e 's/^Run completed in [0-9.]* seconds\.$/Run completed in X seconds./')

# run TOOL DIR ARGS...: one tool on its own copy of the image, IMG in
# ARGS stands for the image's path; output files in DIR
run() {
    local tool=$1 dir=$2 a args=() line
    shift 2
    mkdir -p "$dir"
    # Copies of the images: other.raw and the qcow2 images (QCOW alone,
    # TOP over BACK) if the script made them; few processes per run (the
    # tools' start-up is what a case should cost)
    local qcow2=()
    cp "$TEST_DIR/base.raw" "$dir/t.raw"
    [ -f "$TEST_DIR/other.raw" ] && cp "$TEST_DIR/other.raw" "$dir/o.raw"
    for a in t top back; do
        [ -f "$TEST_DIR/$a.qcow2" ] && qcow2+=("$TEST_DIR/$a.qcow2")
    done
    [ ${#qcow2[@]} -gt 0 ] && cp "${qcow2[@]}" "$dir/"
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s\n' "${line//IMG/$dir/t.raw}"
    done <"$TEST_DIR/stdin" >"$dir/stdin"
    for a in "$@"; do
        a=${a//IMG/$dir/t.raw}
        a=${a//OTHER/$dir/o.raw}
        a=${a//QCOW/$dir/t.qcow2}
        a=${a//TOP/$dir/top.qcow2}
        a=${a//BACK/$dir/back.qcow2}
        a=${a//NEWQ/$dir/new.qcow2}
        args+=("${a//NEW/$dir/new.raw}")
    done
    # (the outer 2>/dev/null: bash's own "Aborted" line for the abort case)
    (cd "$TEST_DIR" && PATH="$TEST_DIR/bin:$PATH" timeout 60 "$tool" "${args[@]}" \
        <"$dir/stdin" >"$dir/out" 2>"$dir/err") 2>/dev/null
    echo "exit $?" >>"$dir/out"
    sed -e "s#$dir#SCRATCH#g" "${filter_exprs[@]}" "$dir/out" >"$dir/out.f"
    sed -e "s#$dir#SCRATCH#g" "${filter_exprs[@]}" "$dir/err" >"$dir/err.f"
}

# same_qcow2 A B: same guest content, backing file and snapshot names,
# checked by qemu-img (which must also find B consistent)
same_qcow2() {
    [ -e "$1" ] && [ -e "$2" ] || return 1
    qemu-img compare -q -U "$1" "$2" || return 1
    qemu-img check -q -U "$2" || return 1
    [ "$(qcow2_meta "$1")" = "$(qcow2_meta "$2")" ]
}

qcow2_meta() {
    qemu-img info -U --output=json "$1" |
        grep -E '"(backing-filename|name|virtual-size)"' | sed "s#$(dirname "$1")#DIR#"
}

# unchanged_qcow2 F Q D: Q/F and D/F are both still $TEST_DIR/F, which
# qemu-img check finds consistent (once)
declare -A original_checked
unchanged_qcow2() {
    local o=$TEST_DIR/$1
    [ -f "$o" ] && cmp -s "$o" "$2/$1" && cmp -s "$o" "$3/$1" || return 1
    if [ -z "${original_checked[$1]:-}" ]; then
        qemu-img check -q -U "$o" || return 1
        original_checked[$1]=1
    fi
}

# compare_run ARGS...: run both tools; 0 when they printed and left the
# same, else 1 with the differences in $TEST_DIR/diff
compare_run() {
    local q=$TEST_DIR/q d=$TEST_DIR/d ok=0 f
    rm -rf "$q" "$d"
    run "$QEMU_TOOL" "$q" "$@"
    run "$DRYDOCK_TOOL" "$d" "$@"
    diff -u "$q/out.f" "$d/out.f" >"$TEST_DIR/diff" || ok=1
    diff -u "$q/err.f" "$d/err.f" >>"$TEST_DIR/diff" || ok=1
    for f in t.raw o.raw new.raw; do
        if [ -e "$q/$f" ] || [ -e "$d/$f" ]; then
            cmp -s "$q/$f" "$d/$f" || { echo "images $f differ" >>"$TEST_DIR/diff"; ok=1; }
        fi
    done
    # qcow2 files are laid out by each implementation: same guest data,
    # same backing file, both valid.  One that neither tool changed is
    # the script's valid original (checked once): the six qemu-img runs
    # of same_qcow2 for each of them were most of the script's time
    for f in t.qcow2 top.qcow2 back.qcow2 new.qcow2; do
        if [ -e "$q/$f" ] || [ -e "$d/$f" ]; then
            unchanged_qcow2 "$f" "$q" "$d" && continue
            same_qcow2 "$q/$f" "$d/$f" || { echo "qcow2 images $f differ" >>"$TEST_DIR/diff"; ok=1; }
        fi
    done
    return $ok
}

# compare NAME ARGS...: both tools must print and leave the same
compare() {
    local name=$1
    shift
    if compare_run "$@"; then
        echo "[       OK ] $QEMU_TOOL: $name"
        passed=$((passed + 1))
    else
        echo "[  FAILED  ] $QEMU_TOOL: $name: $DRYDOCK_TOOL $*"
        cat "$TEST_DIR/diff"
        failed=$((failed + 1))
    fi
}

# pending NAME WHY ARGS...: a comparison that waits for a driver feature
# (WHY); counted apart, never as passed.  Once it matches it says so, to
# be turned into a compare line.
pending=0
pending() {
    local name=$1 why=$2
    shift 2
    if compare_run "$@"; then
        echo "[  XPASS   ] $QEMU_TOOL: $name now matches ($why landed?): make it a compare line"
    else
        echo "[ PENDING  ] $QEMU_TOOL: $name: $why"
    fi
    pending=$((pending + 1))
}

# IMG, OTHER and NEW in arguments stand for the case's copy of base.raw,
# its copy of other.raw (if the script made one) and a new file's path.
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
    run "$DRYDOCK_TOOL" "$d" "$@"
    if grep -q "^exit $rc\$" "$d/out" && cat "$d/out.f" "$d/err.f" | grep -q -- "$pattern"; then
        echo "[       OK ] $DRYDOCK_TOOL: $name"
        passed=$((passed + 1))
    else
        echo "[  FAILED  ] $DRYDOCK_TOOL: $name: wanted exit $rc and '$pattern'"
        cat "$d/out" "$d/err"
        failed=$((failed + 1))
    fi
}

