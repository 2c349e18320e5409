#!/bin/sh
# Every write is checked: a command whose stdout is /dev/full, or whose
# -o/--tap/--junit/--bmf file lands on a full filesystem or is /dev/full,
# exits 3 with one line saying what could not be written, and leaves no
# 0-byte or half file (nor a file where the device was).
# A plot whose gnuplot exits 0 but draws nothing is a failure, not a figure.
# The full filesystem is a small tmpfs (root); without root that part skips.
set -u
S=$1
T=$(mktemp -d "${TMPDIR:-/tmp}/splsuite-cli-out.XXXXXX")
cleanup() { umount "$T/full" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
export SPLSUITE_STORE_PREFIX="splsuite-to$$" TMPDIR="$T"
bad=0
say() { echo "$*"; }

# expect STATUS REGEX CMD... (stdout already redirected by the caller's words)
check() {
  want=$1 re=$2 rc=$3 what=$4
  if [ "$rc" != "$want" ]; then say "FAIL: $what: exit $rc, want $want"; sed 's/^/    /' "$T/err" | tail -5; bad=1
  elif ! grep -Eq -- "$re" "$T/err"; then say "FAIL: $what: stderr lacks /$re/"; sed 's/^/    /' "$T/err" | tail -5; bad=1
  else say "ok: $what: exit $rc"; fi
}

full='cannot write to stdout: No space left on device'
for cmd in "conform --rules FMT-001" "conform --rules FMT-001 --json" "conform --rules FMT-001 --tap -" \
           "conform --rules FMT-001 --junit -" "conform --list" "torture --duration 1s" "torture --duration 1s --json" \
           "bench ops --quick --impl ref --ops set" "bench ops --quick --impl ref --ops set --json" \
           "bench ops --quick --impl ref --ops set --csv" "fsck --list-codes" "info" "info --json" "conform --help" \
           "bench --help" "torture --help" "--help" "--version"; do
  rc=0
  # shellcheck disable=SC2086
  "$S" $cmd > /dev/full 2> "$T/err" || rc=$?
  check 3 "$full" "$rc" "splsuite $cmd > /dev/full"
done

# a result FILE that is a device is written in place, never renamed over:
# -o /dev/full fails with exit 3, and /dev/full is still the device after
for cmd in "conform --rules FMT-001 -o /dev/full" "conform --rules FMT-001 --tap /dev/full" \
           "torture --duration 1s -o /dev/full" "bench ops --quick --impl ref --ops set -o /dev/full" \
           "info -o /dev/full" "db --db $T/r.db list -o /dev/full"; do
  rc=0
  # shellcheck disable=SC2086
  "$S" $cmd > /dev/null 2> "$T/err" || rc=$?
  check 3 "cannot write .*/dev/full.*No space left on device" "$rc" "splsuite $cmd"
  if [ ! -c /dev/full ]; then
    say "FAIL: splsuite $cmd replaced /dev/full (a $(stat -c %F /dev/full)); made again"; bad=1
    rm -f /dev/full && mknod -m 666 /dev/full c 1 7
  fi
done

if [ "$(id -u)" = 0 ] && mkdir "$T/full" && mount -t tmpfs -o size=16k tmpfs "$T/full" 2>/dev/null; then
  dd if=/dev/zero of="$T/full/fill" bs=4k 2>/dev/null
  F=$T/full
  for spec in "tap:conform --rules FMT-001 --tap $F/r.tap" "junit:conform --rules FMT-001 --junit $F/r.xml" \
              "json:conform --rules FMT-001 -o $F/r.json" "json:torture --duration 1s -o $F/t.json" \
              "r.json:bench ops --quick --impl ref --ops set -o $F/b.json" "b.bmf:bench ops --quick --impl ref --ops set --bmf $F/b.bmf" \
              "i.json:info -o $F/i.json"; do
    cmd=${spec#*:}
    rc=0
    # shellcheck disable=SC2086
    "$S" $cmd > /dev/null 2> "$T/err" || rc=$?
    check 3 "cannot write .*$F/.*No space left on device" "$rc" "splsuite $cmd (a full filesystem)"
    extra=$(ls -A "$F" | grep -v '^fill$' || true)
    [ -z "$extra" ] || { say "FAIL: splsuite $cmd left $extra on the full filesystem"; bad=1; rm -f "$F"/r.* "$F"/*.json* "$F"/*.bmf*; }
  done
else
  say "skip: the full-filesystem cases need root (a 16k tmpfs)"
fi

# gnuplot that exits 0 and draws nothing: the figure is not counted, plot fails
"$S" bench ops --quick --impl ref --ops set -o "$T/b.json" > /dev/null 2>&1 || { say "FAIL: could not make a bench result"; bad=1; }
mkdir "$T/fakebin" && printf '#!/bin/sh\nexit 0\n' > "$T/fakebin/gnuplot" && chmod +x "$T/fakebin/gnuplot"
rc=0
PATH="$T/fakebin:$PATH" "$S" plot "$T/b.json" --outdir "$T/plots" > "$T/out" 2> "$T/err" || rc=$?
check 1 "gnuplot exited 0 on .* but wrote no image" "$rc" "splsuite plot with a gnuplot that draws nothing"
if [ -s "$T/out" ]; then say "FAIL: plot listed a figure that does not exist: $(head -1 "$T/out")"; bad=1; fi

left=$(ls /dev/shm | grep "^$SPLSUITE_STORE_PREFIX" || true)
[ -z "$left" ] || { say "FAIL: stores left behind: $left"; bad=1; }
exit $bad
