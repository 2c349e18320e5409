#!/bin/sh
# The repro line of a failed rule reproduces the run: it keeps --seed,
# --workers, --duration (and --peer, --store-dir), and running it fails the
# same rule the same way. Needs the mutant builds (77 without them).
set -u
S=$1
T=$(mktemp -d "${TMPDIR:-/tmp}/splsuite-cli-repro.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir "$T/stores"
export SPLSUITE_STORE_PREFIX="splsuite-tr$$"
if "$S" conform --list-mutants | grep -q 'unset_returns_zero.*not built'; then echo "skip: mutants not built"; exit 77; fi
rc=0
"$S" conform --impl mut:unset_returns_zero --rules API-002 --workers 3 --duration 250ms --seed 7 \
    --store-dir "$T/stores" > "$T/a.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] || { echo "FAIL: the mutant run exits $rc, want 1"; cat "$T/a.txt"; exit 1; }
line=$(grep -m1 'repro: ' "$T/a.txt" | sed 's/.*repro: //')
echo "repro: $line"
for w in "--impl mut:unset_returns_zero" "--seed 7" "--workers 3" "--duration 250ms" "--store-dir $T/stores" "--rules API-002"; do
  case "$line" in *"$w"*) ;; *) echo "FAIL: the repro line lacks '$w'"; exit 1 ;; esac
done
# shellcheck disable=SC2086
rc=0
set -- ${line#splsuite }
"$S" "$@" > "$T/b.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] || { echo "FAIL: the repro line exits $rc, want 1"; cat "$T/b.txt"; exit 1; }
a=$(grep '^API-002' "$T/a.txt" | sed 's/  *[0-9.]*s  */ /')
b=$(grep '^API-002' "$T/b.txt" | sed 's/  *[0-9.]*s  */ /')
[ "$a" = "$b" ] || { echo "FAIL: not the same failure:"; echo "  $a"; echo "  $b"; exit 1; }
[ -z "$(ls -A "$T/stores")" ] || { echo "FAIL: stores left in the store directory"; exit 1; }
echo "ok: the repro line fails API-002 the same way: $b"
