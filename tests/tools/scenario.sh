#!/usr/bin/env bash
# drydock run: the parser's errors (file:line:column, suggestions,
# expansion), exit codes, --seed determinism and --explore finding a
# planted ordering bug whose printed seed replays it.
#   tests/tools/scenario.sh build/asan/bin
# Prints one line per case and "scenario: N passed, N failed".
set -uo pipefail

dd=$(cd "${1:-build/asan/bin}" && pwd)/drydock
here=$(cd "$(dirname "$0")" && pwd)/scenario
TEST_DIR=$(mktemp -d)
export TEST_DIR
trap 'rm -rf "$TEST_DIR"' EXIT
passed=0 failed=0

ok() { echo "[       OK ] $1"; passed=$((passed + 1)); }
fail() { echo "[  FAILED  ] $1: $2"; failed=$((failed + 1)); }

# expect NAME RC TEXT SCENARIO-TEXT [drydock args]: run SCENARIO-TEXT
# (a file) and want exit RC and TEXT in the output
expect() {
    local name=$1 rc=$2 text=$3 body=$4 out got
    shift 4
    printf '%s\n' "$body" >"$TEST_DIR/$name.scn"
    out=$("$dd" "$@" "$TEST_DIR/$name.scn" 2>&1); got=$?
    if [ "$got" -ne "$rc" ]; then
        fail "$name" "exit $got, wanted $rc: $out"
    elif [[ "$out" != *"$text"* ]]; then
        fail "$name" "no '$text' in: $out"
    elif [[ "$out" == *Sanitizer* || "$out" == *"runtime error"* ]]; then
        fail "$name" "sanitizer report: $out"
    else
        ok "$name"
    fi
}

S=$TEST_DIR
# ---- syntax errors: file:line:column, nothing runs ----
expect unknown-command 2 "unknown-command.scn:2:1: error: Unknown command 'blockdev-ad' (did you mean 'blockdev-add'?)" \
    $'echo first\nblockdev-ad driver=null-co' run
expect unknown-far 2 "error: Unknown command 'frobnicate'" 'frobnicate x' run
expect syntax-before-run 2 "syntax-before-run.scn:3:" \
    $'echo must-not-print\n# comment\n  drain-begn n0' run
expect nothing-ran 2 "" $'echo must-not-print\nbogus' run
[[ $("$dd" run "$S/nothing-ran.scn" 2>&1) != *must-not-print* ]] &&
    ok no-step-before-syntax-error || fail no-step-before-syntax-error "a step ran"
expect io-unknown 2 "io-unknown.scn:1:9: error: Unknown io command 'wirte' (did you mean 'write'?)" \
    'io disk wirte 0 512' run
expect arg-count 2 "arg-count.scn:1:12: error: Wrong number of arguments for 'append' (usage: append NEW TOP)" \
    'append a b c' run
expect arg-missing 2 "arg-missing.scn:1:1: error: Wrong number of arguments for 'drain-begin'" \
    'drain-begin' run
expect unterminated-dq 2 'unterminated-dq.scn:1:6: error: Unterminated '"'"'"'"'"'' \
    'echo "abc' run
expect unterminated-sq 2 "unterminated-sq.scn:1:8: error: Unterminated" \
    "echo a 'bc" run
expect unterminated-json 2 "unterminated-json.scn:1:14: error: Unterminated JSON object" \
    'blockdev-add {"driver": "null-co"' run
expect undefined-var 2 "undefined-var.scn:1:9: error: Undefined variable 'DRYDOCK_UNSET_X'" \
    'echo ab $DRYDOCK_UNSET_X' run
expect bad-var 2 "bad-var.scn:1:6: error: Invalid variable name after '\${'" \
    'echo ${1x}' run
expect unterminated-var 2 "error: Unterminated '\${HOME'" 'echo ${HOME' run
expect control-char 2 "control-char.scn:1:7: error: Control character 0x01" \
    $'echo a\001b' run
# white space other than blanks (a form feed) is a control character: it
# used to end a word without being skipped, an endless loop (fuzz: scenario)
expect form-feed 2 "form-feed.scn:1:5: error: Control character 0x0c" \
    $'echo\f\fx' run
expect garbage 2 "garbage.scn:1:1: error: Unknown command" \
    $'\xff\xfe garbage \x7f\nmore ) ( garbage' run
expect expect-last 2 "error: expect-error must be followed by a command" \
    $'echo x\nexpect-error "y"' run
printf 'echo a\0b\n' >"$S/nul.scn"
out=$("$dd" run "$S/nul.scn" 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$out" == *"nul.scn:1:7: error: NUL byte in line"* ]] &&
    ok nul-byte || fail nul-byte "exit $rc: $out"

expect try-checked 2 "try-checked.scn:1:5: error: Unknown command 'blokdev-del' (did you mean 'blockdev-del'?)" \
    'try blokdev-del x' run
expect try-goes-on 0 "after" $'try blockdev-del nosuch\necho after' run

# ---- expansion ----
export DRYDOCK_T_A=alpha
expect expand 0 "alpha alpha-b alpha \$DRYDOCK_T_A dflt" \
    'echo $DRYDOCK_T_A ${DRYDOCK_T_A}-b "$DRYDOCK_T_A" '"'"'$DRYDOCK_T_A'"'"' ${DRYDOCK_T_UNSET:-dflt}' run
expect expand-json 0 "n-alpha" \
    $'blockdev-add {"driver": "null-co", "node-name": "n-$DRYDOCK_T_A"}\nquery-nodes' run

# ---- exit codes ----
expect exit-ok 0 "hello" 'echo hello' run
expect exit-fail 1 "exit-fail.scn:2: 'blockdev-del' failed" \
    $'echo before\nblockdev-del nosuch\necho never' run
expect exit-expect-ok 1 "'echo' succeeded, expected the error \"x\"" \
    $'expect-error "x"\necho fine' run
expect exit-expect-other 1 "'blockdev-del' failed without the expected error \"in use\"" \
    $'expect-error "in use"\nblockdev-del nosuch' run
IMGFMT=raw expect exit-notrun 77 "not run: format raw is not one of the test's formats" \
    $'require-format qcow2 vmdk\necho never' run
expect exit-aio-unwaited 1 "an asynchronous request failed after the last 'wait'" \
    $'blockdev-add driver=null-co,node-name=n,size=1M\nio n aio_read -P 1 0 512' run --seed 1
out=$("$dd" run 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$out" == *"Expecting a scenario file"* ]] &&
    ok usage-run || fail usage-run "exit $rc: $out"
out=$("$dd" run "$S/none.scn" 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$out" == *"Cannot open scenario"* ]] &&
    ok missing-file || fail missing-file "exit $rc: $out"
for bad in "--seed x" "--seed -1" "--explore 0" "--explore 99999999" "--bogus"; do
    out=$("$dd" run $bad "$S/exit-ok.scn" 2>&1); rc=$?
    [ $rc -eq 2 ] && [[ "$out" == drydock:* ]] &&
        ok "usage $bad" || fail "usage $bad" "exit $rc: $out"
done
out=$("$dd" frob 2>&1); rc=$?
[ $rc -eq 2 ] && ok usage-subcommand || fail usage-subcommand "exit $rc"
out=$("$dd" help blockdev-add 2>&1); rc=$?
[ $rc -eq 0 ] && [[ "$out" == *"blockdev-add OPTIONS"* ]] &&
    ok help-command || fail help-command "exit $rc: $out"
out=$("$dd" help 2>&1)
[[ "$out" == *set-aio-context* && "$out" == *expect-error* ]] &&
    ok help-list || fail help-list "$out"

# ---- invariants are checked after every step; --no-check turns it off ----
expect check-default 0 "" $'blockdev-add driver=null-co,node-name=n' run
expect no-check 0 "" $'blockdev-add driver=null-co,node-name=n' run --no-check

# ---- --seed: byte-identical output run after run ----
for f in steady busy; do
    a=$("$dd" run --seed 7 "$here/$f.scn" 2>&1)
    b=$("$dd" run --seed 7 "$here/$f.scn" 2>&1)
    [ "$a" = "$b" ] && [[ "$a" == *wrote* ]] && [[ "$a" != *sec\ \(* ]] &&
        ok "seed-identical $f" || fail "seed-identical $f" "outputs differ"
done
# Different seeds do order busy.scn's completions differently
outs=$(for s in 1 2 3 4 5 6 7 8; do "$dd" run --seed $s "$here/busy.scn" 2>&1 | md5sum; done | sort -u | wc -l)
[ "$outs" -gt 1 ] && ok seeds-differ || fail seeds-differ "one order for 8 seeds"

# ---- --explore ----
out=$("$dd" run --explore 5 "$here/steady.scn" 2>&1); rc=$?
[ $rc -eq 0 ] && [[ "$out" == *"5 seeds (1..5) passed with identical output"* ]] &&
    ok explore-steady || fail explore-steady "exit $rc: $out"
out=$("$dd" run --explore 30 "$here/busy.scn" 2>&1); rc=$?
[ $rc -eq 1 ] && [[ "$out" == *"output differs from the first seed's"* ]] &&
    ok explore-output-differs || fail explore-output-differs "exit $rc: $out"
out=$("$dd" run --explore 40 "$here/race.scn" 2>&1); rc=$?
seed=$(sed -n 's/^drydock: seed \([0-9]*\) fails: exit status 1$/\1/p' <<<"$out")
replay=$(sed -n 's/^replay: //p' <<<"$out")
if [ $rc -eq 1 ] && [ -n "$seed" ] &&
   [ "$replay" = "$dd run --seed $seed $here/race.scn" ]; then
    ok "explore-finds-race (seed $seed)"
    # The printed command replays the failure, with the same output
    again=$($replay 2>&1); rc=$?
    [ $rc -eq 1 ] && [[ "$again" == *"Pattern verification failed"* ]] &&
        [[ "$out" == "$again"* ]] && ok explore-replays ||
        fail explore-replays "exit $rc: $again"
    # Seeds before the printed one pass
    prev_ok=true
    for ((s = 1; s < seed; s++)); do
        "$dd" run --seed $s "$here/race.scn" >/dev/null 2>&1 || prev_ok=false
    done
    $prev_ok && ok explore-first-failing-seed ||
        fail explore-first-failing-seed "an earlier seed fails too"
    # Starting past it, explore finds a later seed
    out2=$("$dd" run --seed $((seed + 1)) --explore 40 "$here/race.scn" 2>&1)
    seed2=$(sed -n 's/^drydock: seed \([0-9]*\) fails.*/\1/p' <<<"$out2")
    [ -n "$seed2" ] && [ "$seed2" -gt "$seed" ] && ok explore-from-seed ||
        fail explore-from-seed "$out2"
else
    fail explore-finds-race "exit $rc: $out"
fi
# A request that would wait for a drain the scenario holds is refused: the
# node itself drained, its file drained, every node drained; aio_ requests
# queue and complete once the drain ends (aio_flush then waits for them)
drained_disk=$'blockdev-add driver=null-co,node-name=f\nblockdev-add driver=raw,node-name=disk,file=f'
expect io-drained-node 1 "'disk' is drained (drain-begin): 'write' would wait for its requests forever" \
    "$drained_disk"$'\ndrain-begin disk\nio disk write -P 1 0 4k' run
expect io-drained-child 1 "'disk' is drained (drain-begin): 'read' would wait" \
    "$drained_disk"$'\ndrain-begin f\nio disk read 0 512' run
expect io-drained-all 1 "'aio_flush' would wait" \
    "$drained_disk"$'\ndrain-all-begin\nio disk aio_flush' run
expect io-drained-aio 0 "" \
    "$drained_disk"$'\nbackend-add b disk\ndrain-begin disk\nio b aio_write 0 512\nio b length\ndrain-end disk\nio b aio_flush\nio b read 0 512' run
# A crash in a seed is caught and reported (abort through a deadlock report)
expect explore-crash 1 "fails: killed by signal 6" \
    $'blockdev-add driver=test,node-name=t\nbackend-add b t\npark t\nio b aio_write 0 512\ndrain-begin t' \
    run --explore 2
expect explore-notrun 77 "not run" 'require-format no-such-format' run --explore 3

echo "scenario: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
