#!/bin/sh
# The perf gate must catch the planted slowdown and must not flag the tree
# against itself. Baselines are recorded fresh into a temp dir, so this test
# proves the gate's logic whatever state ci/baselines/ is in.
#   perfgate-catches.sh PERFGATE
set -u
gate="$1"
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed (apt install valgrind)"; exit 77; }
tmp="$(mktemp -d "${TMPDIR:-/tmp}/splsuite-ci-perfgate-$$.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
fail=0
verdict() { # lane metric file -> verdict cell of the Markdown table
  grep "^| $1 | $2 (" "$3" | awk -F'|' '{gsub(/[* ]/, "", $7); print $7}' | sed 's/(p=.*//'
}

"$gate" --update --lane deterministic --baselines "$tmp" --out "$tmp/out" -q 2>/dev/null || { echo "FAIL: recording a baseline"; exit 1; }

"$gate" --lane deterministic --baselines "$tmp" --out "$tmp/same" -q >/dev/null 2>&1
rc=$?
[ $rc -eq 0 ] && echo "ok   ref against its own baseline: pass" || { echo "FAIL: ref against its own baseline exited $rc"; fail=1; }

"$gate" --lane deterministic --impl mut:slow_keycmp --baselines "$tmp" --out "$tmp/mut" 2>/dev/null
rc=$?
[ $rc -eq 1 ] && echo "ok   mut:slow_keycmp: gate exited 1" || { echo "FAIL: mut:slow_keycmp: gate exited $rc, want 1"; fail=1; }
for m in set get; do
  v="$(verdict deterministic "$m" "$tmp/mut/perf-gate.md")"
  [ "$v" = REGRESSION ] && echo "ok   mut:slow_keycmp: $m flagged" || { echo "FAIL: mut:slow_keycmp: $m verdict '$v'"; fail=1; }
done
grep -q '"verdict":"regression"' "$tmp/mut/perf-gate.json" || { echo "FAIL: perf-gate.json verdict is not regression"; fail=1; }

# one planted slowdown per path family slow_keycmp leaves alone: scans (list,
# enumerate) and misses (a get of an absent key never compares a key)
for pair in slow_scan:list slow_scan:enumerate slow_miss:get_miss; do
  mut="${pair%%:*}" m="${pair#*:}"
  [ -f "$tmp/$mut/perf-gate.md" ] || "$gate" --lane deterministic --impl "mut:$mut" --baselines "$tmp" --out "$tmp/$mut" >/dev/null 2>&1
  v="$(verdict deterministic "$m" "$tmp/$mut/perf-gate.md")"
  [ "$v" = REGRESSION ] && echo "ok   mut:$mut: $m flagged" || { echo "FAIL: mut:$mut: $m verdict '$v'"; fail=1; }
done

# timing lane: torn_write spins inside every set, a slowdown no noise hides
"$gate" --update --lane timing --reps 9 --procs 3 --baselines "$tmp" --out "$tmp/out" -q 2>/dev/null || { echo "FAIL: recording a timing baseline"; exit 1; }
"$gate" --lane timing --reps 9 --procs 3 --impl mut:torn_write --baselines "$tmp" --out "$tmp/slow" 2>/dev/null
rc=$?
v="$(verdict timing 'set/floor_write' "$tmp/slow/perf-gate.md")"
[ $rc -eq 1 ] && [ "$v" = REGRESSION ] && echo "ok   mut:torn_write: timing lane flags set" || { echo "FAIL: mut:torn_write: rc $rc, set verdict '$v'"; fail=1; }
exit $fail
