#!/bin/sh
# Replays both fuzz targets on the seed corpus (made now, from real stores),
# on every regression input ever found and on the committed corpus (what
# libFuzzer and AFL++ reached beyond the seeds): none may crash.
#   replay-test.sh MKSEEDS REPLAY_OPEN REPLAY_FSCK REGRESSIONS_DIR [CORPUS_DIR]
set -eu
mkseeds="$1"; open_t="$2"; fsck_t="$3"; reg="$4"; corpus="${5:-}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/splsuite-ci-replay-$$.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
"$mkseeds" "$tmp/seeds"
n="$(find "$tmp/seeds" -type f | wc -l)"
[ "$n" -ge 8 ] || { echo "FAIL: only $n seeds made"; exit 1; }
# shellcheck disable=SC2046
"$open_t" "$tmp/seeds" $( [ -d "$reg/open" ] && echo "$reg/open" ) $( [ -d "$corpus/open" ] && echo "$corpus/open" )
# shellcheck disable=SC2046
"$fsck_t" "$tmp/seeds" $( [ -d "$reg/fsck" ] && echo "$reg/fsck" ) $( [ -d "$corpus/fsck" ] && echo "$corpus/fsck" )
