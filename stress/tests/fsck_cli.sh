#!/bin/bash
# fsck_cli.sh SPLSUITE FSCK_DAMAGE - `splsuite fsck` end to end on planted damage:
# exit codes, named findings, JSON, and repair only with consent.
set -u
splsuite=$1 damage=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/fsck-cli.XXXXXX")
trap 'rm -rf "$dir"' EXIT
fails=0
check() { # check NAME WANT_RC REGEX -- cmd...
    local name=$1 want=$2 regex=$3
    shift 4
    local out rc
    out=$("$@" 2>&1 </dev/null)
    rc=$?
    if [ $rc -ne "$want" ]; then echo "not ok - $name: exit $rc, want $want"; echo "$out" | sed 's/^/#   /' | head -20; fails=$((fails + 1)); return; fi
    if [ -n "$regex" ] && ! grep -Eq "$regex" <<<"$out"; then echo "not ok - $name: output lacks /$regex/"; echo "$out" | sed 's/^/#   /' | head -20; fails=$((fails + 1)); return; fi
    echo "ok - $name"
}
for k in clean hash-mismatch garbage truncated epoch-odd-live duplicate-key; do
    "$damage" "$k" --write "$dir/$k.spl" >/dev/null || { echo "not ok - planting $k"; exit 1; }
done
: >"$dir/empty.spl"
check "clean store" 0 'verdict +clean' -- "$splsuite" fsck "$dir/clean.spl"
check "hash mismatch named" 1 'hash-mismatch' -- "$splsuite" fsck "$dir/hash-mismatch.spl"
check "duplicate key named" 1 'duplicate-key' -- "$splsuite" fsck "$dir/duplicate-key.spl"
check "garbage is not a store" 1 'bad-magic' -- "$splsuite" fsck "$dir/garbage.spl"
check "truncated" 1 'truncated' -- "$splsuite" fsck "$dir/truncated.spl"
check "empty file" 2 'empty' -- "$splsuite" fsck "$dir/empty.spl"
check "missing store" 2 'No such file' -- "$splsuite" fsck "$dir/nope.spl"
check "missing argument" 2 'STORE' -- "$splsuite" fsck
check "bad option" 2 '' -- "$splsuite" fsck --bogus "$dir/clean.spl"
check "list codes" 0 'unreachable-key' -- "$splsuite" fsck --list-codes
check "json verdict" 0 '' -- bash -c "'$splsuite' fsck --json '$dir/hash-mismatch.spl' | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[\"verdict\"]==\"damaged\" and d[\"by_code\"][\"hash-mismatch\"]>=1 else 1)'"
check "odd epoch live: warning" 0 'epoch-odd' -- "$splsuite" fsck "$dir/epoch-odd-live.spl"
check "odd epoch offline: error" 1 'epoch-odd' -- "$splsuite" fsck --stuck "$dir/epoch-odd-live.spl"
sum=$(md5sum <"$dir/epoch-odd-live.spl")
check "repair refused without consent" 2 'consent' -- "$splsuite" fsck --stuck --repair "$dir/epoch-odd-live.spl"
[ "$(md5sum <"$dir/epoch-odd-live.spl")" = "$sum" ] && echo "ok - store untouched without consent" || { echo "not ok - store changed without consent"; fails=$((fails + 1)); }
check "repair releases the stuck epoch" 0 'verdict +clean' -- "$splsuite" fsck --stuck --repair --fix stuck --yes "$dir/epoch-odd-live.spl"
check "repaired store stays clean" 0 'verdict +clean' -- "$splsuite" fsck --stuck "$dir/epoch-odd-live.spl"
check "repair clears a duplicate" 0 'verdict +clean' -- "$splsuite" fsck --repair --fix slots --yes "$dir/duplicate-key.spl"
exit $((fails > 0))
