#!/usr/bin/env bash
# Bad input to every tool, swept: unknown options, missing option
# arguments, missing files, malformed option strings and out-of-range
# numbers for each drydock-img subcommand and drydock-io command.  Each
# case runs Debian's qemu-img/qemu-io and drydock's on fresh images and
# requires the same messages, exit code and images (after the iotests
# filters); `like` cases, where the message text is drydock's own (see
# docs/tools.md), require the same exit code and a one-line message.
# Every case fails on a crash: a signal, a sanitizer report.
#   tests/tools/bad-input.sh build/asan/bin
set -uo pipefail

bin=$(cd "${1:-build/asan/bin}" && pwd)
for t in qemu-img qemu-io; do
    command -v $t >/dev/null || { echo "bad-input: $t not installed" >&2; exit 1; }
done
QEMU_TOOL=qemu-img DRYDOCK_TOOL=drydock-img DRYDOCK_PATH=$bin/drydock-img
. "$(dirname "$0")/compare-common.sh"
ln -s "$bin/drydock-io" "$TEST_DIR/bin/drydock-io"
qemu-img create -q -f raw "$TEST_DIR/base.raw" 1M
qemu-io -f raw -c 'write -q -P 0x5a 64k 64k' "$TEST_DIR/base.raw"
qemu-img create -q -f qcow2 "$TEST_DIR/t.qcow2" 1M
M=$TEST_DIR/missing.img

# No crash: no signal, no sanitizer report (in $TEST_DIR/d)
no_crash() {
    local rc
    rc=$(sed -n 's/^exit //p' "$TEST_DIR/d/out")
    [ "$rc" -lt 128 ] && ! grep -qE 'Sanitizer|runtime error:' "$TEST_DIR/d/err"
}

# same NAME ARGS...: as compare, for the tool set by `tool`
same() {
    local name=$1
    shift
    if compare_run "$@" && no_crash; then
        passed=$((passed + 1))
    else
        echo "[  FAILED  ] $QEMU_TOOL: $name: $DRYDOCK_TOOL $*"
        cat "$TEST_DIR/diff" "$TEST_DIR/d/err"
        failed=$((failed + 1))
    fi
}

# like NAME ARGS...: the same exit code, a message, no crash
like() {
    local name=$1 q=$TEST_DIR/q d=$TEST_DIR/d
    shift
    compare_run "$@"
    if [ "$(tail -1 "$q/out")" = "$(tail -1 "$d/out")" ] && [ -s "$d/err.f" ] && no_crash; then
        passed=$((passed + 1))
    else
        echo "[  FAILED  ] $QEMU_TOOL: $name (exit code and a message): $DRYDOCK_TOOL $*"
        cat "$TEST_DIR/diff" "$d/err"
        failed=$((failed + 1))
    fi
}

# own NAME EXIT PATTERN ARGS...: drydock's tool alone (where qemu's answer
# is no error: qemu-img measure prints its help for a bad option)
own() {
    local name=$1 rc=$2 pattern=$3 d=$TEST_DIR/d
    shift 3
    rm -rf "$d"
    run "$DRYDOCK_TOOL" "$d" "$@"
    if grep -q "^exit $rc\$" "$d/out" && grep -q -- "$pattern" "$d/err.f" && no_crash; then
        passed=$((passed + 1))
    else
        echo "[  FAILED  ] $DRYDOCK_TOOL: $name: wanted exit $rc and '$pattern'"
        cat "$d/out" "$d/err"
        failed=$((failed + 1))
    fi
}

tool() {
    QEMU_TOOL=qemu-$1 DRYDOCK_TOOL=drydock-$1
}

# ---- drydock-img: every subcommand, the same bad options
tool img
for cmd in amend bench bitmap check commit compare convert create dd info map rebase resize snapshot; do
    same "$cmd-unknown-short" $cmd -Z IMG
    same "$cmd-unknown-long" $cmd --bogus-option IMG
    same "$cmd-no-arguments" $cmd
done
for cmd in bench check commit compare convert info map rebase resize; do
    same "$cmd-missing-format-argument" $cmd IMG -f
done
# qemu-img measure answers a bad option with its help and exit 0
own measure-unknown-short 1 "unrecognized option '-Z'" measure -Z IMG
own measure-unknown-long 1 "unrecognized option '--bogus-option'" measure --bogus-option IMG
own measure-long-of-another 1 "unrecognized option '--shrink'" measure --shrink IMG
own measure-missing-format-argument 1 "missing argument for option '-f'" measure IMG -f
same measure-no-arguments measure
same info-missing-file info $M
same info-long-of-another info --shrink IMG
same map-long-of-another map --backing-chain IMG
same check-missing-file check $M
same map-missing-file map $M
same commit-missing-file commit $M
same rebase-missing-file rebase -u -b x $M
same resize-missing-file resize $M 1M
same snapshot-missing-file snapshot -l $M
same amend-missing-file amend -o size=1M $M
same measure-missing-file measure $M
same convert-missing-file convert $M NEW
same dd-missing-file dd if=$M of=NEW
same bench-missing-file bench -c 1 $M
same compare-missing-file compare IMG $M
same create-missing-dir create -f raw $TEST_DIR/nodir/x.raw 1M

# malformed option strings
same create-bad-o create -f raw -o bogus NEW 1M
same create-bad-o-comma create -f raw -o ,, NEW 1M
like create-bad-o-eq create -f raw -o =1 NEW 1M
same create-bad-o-trailing create -f raw -o size=1M, NEW
same convert-bad-o convert -O raw -o , IMG NEW
same amend-bad-o amend -o ',' IMG
same measure-bad-o measure --size 1M -o ',,'
like measure-bad-o-eq measure --size 1M -o '=1'
like create-bad-o-prealloc create -f raw -o preallocation=bogus NEW 1M
same info-bad-image-opts info --image-opts driver=raw,,file.filename=IMG
# drydock's JSON parser names the place of the error
like info-bad-json info 'json:{"driver":"raw"'
like info-json-not-object info 'json:[1]'
same info-bad-output info --output=yaml IMG
same map-bad-output map --output= IMG
same check-bad-output check --output=xml IMG
same check-bad-repair check -r bogus IMG
same info-bad-object info --object bogus IMG
same info-object-no-id info --object secret,data=x IMG
same info-object-bad-key info --object secret,id=s0,data=x,bogus=1 IMG
same convert-bad-source-cache convert -T bogus IMG NEW
same convert-bad-cache convert -t bogus IMG NEW
same commit-bad-cache commit -t bogus IMG
same bench-bad-cache bench -c 1 -t bogus IMG
same resize-bad-prealloc resize --preallocation=bogus IMG 2M

# out-of-range and malformed numbers
for size in 1Q 99999999999999999999; do
    same "create-size-$size" create -f raw NEW "$size"
    same "measure-size-$size" measure --size "$size"
    same "map-start-$size" map --start-offset="$size" IMG
    same "map-length-$size" map --max-length="$size" IMG
    same "convert-sparse-$size" convert -S "$size" IMG NEW
    same "dd-bs-$size" dd bs="$size" if=IMG of=NEW
    same "dd-count-$size" dd count="$size" if=IMG of=NEW
    same "dd-skip-$size" dd skip="$size" if=IMG of=NEW
    same "bench-offset-$size" bench -c 1 -o "$size" IMG
    same "bench-buffer-$size" bench -c 1 -s "$size" IMG
    same "bench-step-$size" bench -c 1 -S "$size" IMG
done
for n in -1 x; do
    same "bench-count-$n" bench -c "$n" IMG
    same "bench-pattern-$n" bench --pattern="$n" -w -c 1 IMG
    same "bench-flush-$n" bench -w --flush-interval="$n" -c 1 IMG
    same "convert-coroutines-$n" convert -m "$n" IMG NEW
done
same resize-huge resize -f raw IMG 99999999999999999999
same resize-shrink-below-zero resize -f raw --shrink IMG -- -2M
same resize-exa resize -f raw IMG 9E

# ---- drydock-io: options, then commands with bad arguments
tool io
same io-unknown-short -Z IMG
same io-unknown-long --bogus IMG
same io-missing-argument -c
same io-missing-file -c 'read 0 1' $M
same io-bad-cache -t bogus IMG
same io-bad-aio -i bogus IMG
same io-bad-discard -d bogus IMG
# drydock's JSON and option parsers word their errors their own way
like io-bad-json -c 'read 0 1' 'json:{"driver":'
like io-bad-image-opts --image-opts -c 'read 0 1' driver=raw,file.filename=IMG,x
same io-object-no-id --object secret,data=x IMG
for n in -1 99999999999999999999 1Q; do
    for c in read write aio_write discard alloc; do
        same "io-$c-offset-$n" -f raw -c "$c $n 512" IMG
        same "io-$c-length-$n" -f raw -c "$c 0 $n" IMG
    done
    same "io-truncate-$n" -f raw -c "truncate $n" IMG
    same "io-map-$n" -f raw -c "map $n" IMG
    same "io-pattern-$n" -f raw -c "write -P $n 0 512" IMG
    # qemu-io sleeps through an overflowing number
    [ "$n" = 99999999999999999999 ] || same "io-sleep-$n" -f raw -c "sleep $n" IMG
    same "io-sigraise-$n" -f raw -c "sigraise $n" IMG
done
for c in read write readv writev aio_read aio_write discard truncate alloc length map info flush aio_flush open close reopen break remove_break resume sleep sigraise help; do
    same "io-$c-bad-flag" -f raw -c "$c -Z" IMG
done

# (wait_break: qemu-io waits forever; see compare-qemu-io.cases)
echo "bad-input: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
