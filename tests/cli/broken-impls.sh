#!/bin/sh
# conform, torture and bench against implementations that crash in create,
# hang in create, abort in open, or export half the ABI: each ends with the
# exit status and the message it should, and leaves no store behind (in
# /dev/shm or the store directory), whatever the implementation did.
set -u
S=$1 CRASH=$2 HANG=$3 ABORT=$4 HALF=$5
T=$(mktemp -d "${TMPDIR:-/tmp}/splsuite-cli-impls.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir "$T/stores"
export TMPDIR="$T/stores" SPLSUITE_STORE_PREFIX="splsuite-t$$" SPLSUITE_PROBE_TIMEOUT=2s
bad=0

# expect STATUS REGEX CMD...: exit status, a line of the output, no leftovers
expect() {
  want=$1 re=$2
  shift 2
  rc=0
  "$@" >"$T/out" 2>&1 || rc=$?
  what="splsuite $*"
  if [ "$rc" != "$want" ]; then
    echo "FAIL: $what: exit $rc, want $want"; sed 's/^/    /' "$T/out" | tail -15; bad=1
  elif ! grep -Eq -- "$re" "$T/out"; then
    echo "FAIL: $what: no line matches /$re/"; sed 's/^/    /' "$T/out" | tail -15; bad=1
  else
    echo "ok: $what: exit $rc, /$re/"
  fi
  left=$( (ls /dev/shm; ls -A "$TMPDIR") 2>/dev/null | grep "^$SPLSUITE_STORE_PREFIX" || true)
  if [ -n "$left" ]; then
    echo "FAIL: $what left stores behind: $left"; bad=1
    for f in $left; do rm -f "/dev/shm/$f" "$TMPDIR/$f"; done
  fi
  if [ -n "$(ls -A "$TMPDIR")" ]; then
    echo "FAIL: $what left files in the store directory: $(ls -A "$TMPDIR")"; bad=1
    rm -rf "${TMPDIR:?}"/*
  fi
}

crashed='crashed in splinter_create during the probe: SIGSEGV'
hung='hung in splinter_create during the probe \(killed after 2\.[0-9] s\)'
for impl in "$CRASH:$crashed" "$HANG:$hung"; do
  lib=${impl%%:*} re=${impl#*:}
  expect 1 "$re" "$S" conform --impl "$lib"
  expect 1 "$re" "$S" torture --impl "$lib" --duration 2s
  expect 1 "$re" "$S" bench ops --quick --impl "$lib"
done
# the probe's failure is the report: every requested format carries it
expect 1 "$crashed" "$S" conform --impl "$CRASH" --tap "$T/r.tap" --json-out "$T/r.json"
grep -q '^not ok 1 - PROBE' "$T/r.tap" || { echo "FAIL: the TAP report lacks the failed probe"; bad=1; }
grep -q 'SIGSEGV' "$T/r.json" || { echo "FAIL: the JSON report lacks the failed probe"; bad=1; }
rm -f "$T/r.tap" "$T/r.json"

# open aborts: the probe passes, then every rule, worker and benchmark dies of it
expect 1 'FAIL .*SIGABRT' "$S" conform --impl "$ABORT" --rules 'FMT-00[1-4],API-001'
expect 1 'End of test: FAILURE' "$S" torture --impl "$ABORT" --duration 2s
expect 1 'SIGABRT|Aborted' "$S" bench ops --quick --impl "$ABORT" --ops set

# half the ABI, correct where it exists: skips name what is missing, the rest passes
expect 0 'SKIP .*does not export splinter_' "$S" conform --impl "$HALF" --duration 200ms
expect 0 'End of test: SUCCESS' "$S" torture --impl "$HALF" --duration 3s
expect 0 'unsupported|not exported|lacks' "$S" bench ops --quick --impl "$HALF"
exit $bad
