#!/bin/bash
# SIGINT and SIGTERM in the middle of conform, torture and bench: the command
# stops its workers (no process of the run is left), removes every store it
# made, writes what it has marked INTERRUPTED (TAP 'Bail out!', JUnit's
# interrupted case, JSON flags; torture's verdict INTERRUPTED, never
# SUCCESS), and exits 130 (SIGINT) or 143 (SIGTERM).
#
# The SIGINT is sent to the whole process group of the command, as a
# terminal's Ctrl-C is; the SIGTERM to the command alone, as kill(1) does.
set -u
S=$1
T=$(mktemp -d "${TMPDIR:-/tmp}/splsuite-cli-int.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir "$T/stores"
export SPLSUITE_STORE_PREFIX="splsuite-ti$$" TMPDIR="$T/stores"
bad=0

# run SIGNAL DELAY NAME CMD...: runs CMD in a session of its own, signals it
# after DELAY seconds, waits; leaves its status in $rc
run() {
  sig=$1 delay=$2 name=$3
  shift 3
  setsid "$@" > "$T/$name.out" 2> "$T/$name.err" &
  pid=$!
  sleep "$delay"
  if [ "$sig" = INT ]; then kill -s INT -- "-$pid"; else kill -s TERM "$pid"; fi
  rc=0
  wait "$pid" || rc=$?
  # a zombie holds nothing (its parent was killed; init reaps it), and a
  # process SIGKILLed with its group can take a moment to be torn down:
  # only what still runs after 3 s counts
  for _ in 1 2 3 4 5 6; do
    alive=$(ps -e -o sid= -o stat= -o pid= -o args= | awk -v s="$pid" '$1 == s && $2 !~ /^Z/')
    [ -z "$alive" ] && break
    sleep 0.5
  done
  if [ -n "$alive" ]; then echo "FAIL: $name: processes of the run still alive:"; echo "$alive"; bad=1; fi
  left=$( (ls /dev/shm; ls -A "$TMPDIR") 2>/dev/null | grep "^$SPLSUITE_STORE_PREFIX" || true)
  if [ -n "$left" ]; then echo "FAIL: $name: stores left: $left"; bad=1; rm -f "$TMPDIR"/* ; for f in $left; do rm -f "/dev/shm/$f"; done; fi
}

want() { # NAME STATUS
  if [ "$rc" = "$2" ]; then echo "ok: $1: exit $rc"; else echo "FAIL: $1: exit $rc, want $2"; tail -5 "$T/$1.err"; bad=1; fi
}
has() { # NAME FILE REGEX WHAT
  if grep -Eq -- "$3" "$2"; then echo "ok: $1: $4"; else echo "FAIL: $1: $4: /$3/ not in $(basename "$2")"; bad=1; fi
}

run INT 3 conform-int "$S" conform --impl ref-file --tap "$T/c.tap" --junit "$T/c.xml" -o "$T/c.json"
want conform-int 130
has conform-int "$T/c.tap" '^Bail out! interrupted by SIGINT' "TAP ends in Bail out!"
has conform-int "$T/c.xml" 'interrupted="true"' "JUnit says interrupted"
has conform-int "$T/c.xml" 'name="INTERRUPTED"' "JUnit has the interrupted case"
has conform-int "$T/c.json" '"interrupted": ?true' "JSON says interrupted"
has conform-int "$T/conform-int.out" '^INTERRUPTED by SIGINT after [0-9]+ of [0-9]+ rules' "the table says so"

run TERM 3 conform-term "$S" conform --impl ref --json
want conform-term 143
has conform-term "$T/conform-term.out" '"signal": ?"SIGTERM"' "JSON names SIGTERM"

run INT 4 torture-int "$S" torture --impl ref --duration 60s -o "$T/t.json"
want torture-int 130
has torture-int "$T/torture-int.out" 'End of test: INTERRUPTED' "the verdict is INTERRUPTED"
if grep -q 'End of test: SUCCESS' "$T/torture-int.out"; then echo "FAIL: an interrupted torture said SUCCESS"; bad=1; fi
has torture-int "$T/t.json" '"verdict": ?"INTERRUPTED"' "JSON verdict INTERRUPTED"

run TERM 4 torture-term "$S" torture --impl ref-file --duration 60s --crash-cycles 3 --crash-mode kill
want torture-term 143
has torture-term "$T/torture-term.out" 'interrupted by SIGTERM' "says SIGTERM"

run INT 4 bench-int "$S" bench ops --impl ref --impl ref-file -o "$T/b.json"
want bench-int 130
has bench-int "$T/b.json" '"interrupted": ?true' "JSON says interrupted"
has bench-int "$T/bench-int.out" '^INTERRUPTED by SIGINT' "the table says so"

run TERM 4 bench-term "$S" bench wake flush --impl ref-file --json
want bench-term 143
has bench-term "$T/bench-term.out" '"signal": ?"SIGTERM"' "JSON names SIGTERM"
exit $bad
