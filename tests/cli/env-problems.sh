#!/bin/sh
# A store directory that is full, nearly full, read-only or missing is the
# machine's problem: conform, torture and bench say so and exit 2, never
# report a FAILURE of the implementation, and leave nothing behind. So is a
# store directory the user may not write: run as nobody (setpriv) on a
# directory of root's.
# Needs root (small tmpfs mounts); exits 77 otherwise.
set -u
S=$1
[ "$(id -u)" = 0 ] || { echo "skip: needs root to mount small tmpfs store directories"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/splsuite-cli-env.XXXXXX")
cleanup() { for m in full nearly ro; do umount "$T/$m" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
export SPLSUITE_STORE_PREFIX="splsuite-t$$"
bad=0
for m in full nearly ro; do mkdir "$T/$m"; done
mount -t tmpfs -o size=64k tmpfs "$T/full" && dd if=/dev/zero of="$T/full/fill" bs=4k 2>/dev/null
mount -t tmpfs -o size=256k tmpfs "$T/nearly" && dd if=/dev/zero of="$T/nearly/fill" bs=4k count=58 2>/dev/null
mount -t tmpfs -o ro,size=64k tmpfs "$T/ro" || { echo "skip: cannot mount tmpfs"; exit 77; }

expect() { # DIR STATUS REGEX CMD...
  dir=$1 want=$2 re=$3
  shift 3
  rc=0
  TMPDIR=$dir "$@" >"$T/out" 2>&1 || rc=$?
  what="TMPDIR=$(basename "$dir") splsuite $*"
  if [ "$rc" != "$want" ]; then
    echo "FAIL: $what: exit $rc, want $want"; tail -8 "$T/out" | sed 's/^/    /'; bad=1
  elif ! grep -Eq -- "$re" "$T/out"; then
    echo "FAIL: $what: no line matches /$re/"; tail -8 "$T/out" | sed 's/^/    /'; bad=1
  elif grep -q 'FAILURE\|^[A-Z]\{3\}-[0-9]\{3\} *FAIL ' "$T/out"; then
    echo "FAIL: $what: reported as a failure of the implementation"; bad=1
  else
    echo "ok: $what: exit $rc, /$re/"
  fi
  left=$( (ls /dev/shm; ls -A "$dir") 2>/dev/null | grep "^$SPLSUITE_STORE_PREFIX" || true)
  [ -z "$left" ] || { echo "FAIL: $what left $left"; bad=1; }
}

for cmd in "conform --impl ref-file" "torture --impl ref-file --duration 2s" "bench ops --quick --impl ref-file --ops set"; do
  # shellcheck disable=SC2086
  expect "$T/full" 2 'store directory .* is full' "$S" $cmd
  # shellcheck disable=SC2086
  expect "$T/ro" 2 'store directory .* read-only' "$S" $cmd
  # shellcheck disable=SC2086
  expect "$T/missing" 2 'store directory .*missing: No such file or directory' "$S" $cmd
done
# room for the probe, not for the rules' stores: they cannot run, and say why
expect "$T/nearly" 2 'could not run: the store directory .* is full' "$S" conform --impl ref-file --duration 200ms --rules 'FMT-*,SEQ-*,SEC-*,LIN-001'
expect "$T/nearly" 2 'store directory .* is full' "$S" torture --impl ref-file --duration 2s --keys 256
expect "$T/nearly" 2 'store directory .* is full' "$S" bench ops --quick --impl ref-file --ops set

# no permission: the same commands as nobody, in a directory only root may write
chmod 755 "$T" && mkdir -m 755 "$T/locked"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if ! command -v setpriv >/dev/null || ! as_nobody "$S" --version >/dev/null 2>&1; then
  echo "skip (this part only): cannot run splsuite as nobody with setpriv"
else
  for cmd in "conform --impl ref-file" "torture --impl ref-file --duration 2s" "bench ops --quick --impl ref-file --ops set"; do
    # shellcheck disable=SC2086
    expect "$T/locked" 2 'no permission to create stores in .*locked' as_nobody "$S" $cmd
  done
  # shellcheck disable=SC2086
  expect "$T" 2 "store-dir .*locked.*no permission|no permission to create stores in .*locked" as_nobody "$S" conform --impl ref-file --store-dir "$T/locked"
fi
exit $bad
