#!/bin/sh
# check-exports.sh LIST EMBEDDINGS(yes|no) LIB... - each library's defined
# dynamic symbols (nm -D --defined-only) must be exactly the names of LIST
# (tests/abi/exports.list): a missing one breaks clients, an extra one is an
# internal helper a client's own function of that name would collide with.
set -eu
list=$1 emb=$2
shift 2
NM=${NM:-nm}
[ -r "$list" ] || { echo "check-exports: cannot read $list" >&2; exit 2; }
want=$(mktemp "${TMPDIR:-/tmp}/splsuite-exports.XXXXXX")
have=$(mktemp "${TMPDIR:-/tmp}/splsuite-exports.XXXXXX")
trap 'rm -f "$want" "$have"' EXIT INT TERM
# comments and blank lines out; [embeddings] rows only in that build
awk -v emb="$emb" '/^#/ || NF == 0 { next } $2 == "[embeddings]" && emb != "yes" { next } { print $1 }' "$list" |
    LC_ALL=C sort -u >"$want"
n=$(wc -l <"$want")
fail=0
for lib in "$@"; do
    # every defined dynamic symbol, whatever its type (T, W, D, B, i ...)
    "$NM" -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//' | LC_ALL=C sort -u >"$have"
    missing=$(LC_ALL=C comm -23 "$want" "$have")
    extra=$(LC_ALL=C comm -13 "$want" "$have")
    for s in $missing; do echo "MISSING $s in $lib"; done
    for s in $extra; do echo "EXTRA   $s exported by $lib (not in $(basename "$list"))"; done
    if [ -z "$missing" ] && [ -z "$extra" ]; then
        echo "ok   $(basename "$lib"): exactly the $n public symbols"
    else
        fail=1
    fi
done
exit $fail
