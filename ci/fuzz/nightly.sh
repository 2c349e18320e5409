#!/bin/sh
# The long fuzz run, not part of the normal CI (ci/gates.sh fuzz runs
# ci/fuzz/run.sh 60): libFuzzer and then AFL++ on the same entry points,
# SECONDS per target and engine (default 600), then the committed corpus
# merged with what both engines found.
#   ci/fuzz/nightly.sh [SECONDS] [--update-corpus]
# Wall time about 2 x SECONDS plus the builds (each engine fuzzes its two
# targets side by side, $CI_JOBS cores, default 2). Without AFL++ installed
# (scripts/install-deps.sh fuzz) its half is an explicit SKIP line.
# The merge keeps, smallest inputs first, each input of ci/fuzz/corpus/<target>,
# ci/fuzz/corpus-<target> and AFL++'s queue that reaches an edge the seeds
# (made at every run by mkseeds) and the inputs kept before it do not
# (libFuzzer -merge=1 -use_counters=0: edges, not hit counts, so the
# committed corpus stays a few hundred KiB); --update-corpus writes it into
# ci/fuzz/corpus/<target>/ (then review and commit it), otherwise it stays in
# $CI_BUILD_PREFIX-fuzz/merged-<target>/ and only its size is shown.
# Exit 0 no crash, 1 a crash in either engine or a failed step.
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
secs=600 update=false
for a in "$@"; do
  case "$a" in
  --update-corpus) update=true ;;
  '' | *[!0-9]*) echo "usage: ci/fuzz/nightly.sh [SECONDS] [--update-corpus]" >&2; exit 2 ;;
  *) secs="$a" ;;
  esac
done
export CI_BUILD_PREFIX="${CI_BUILD_PREFIX:-build}"
rc=0
echo "nightly: libFuzzer, ${secs}s per target"
lrc=0
"$root/ci/fuzz/run.sh" "$secs" || lrc=$?
[ "$lrc" -eq 77 ] && { echo "nightly: SKIP: clang's libFuzzer not available"; exit 77; }
[ "$lrc" -ne 0 ] && rc=1
echo "nightly: AFL++, ${secs}s per target"
arc=0
"$root/ci/fuzz/afl.sh" "$secs" || arc=$?
case $arc in 0 | 77) ;; *) rc=1 ;; esac

d="$CI_BUILD_PREFIX-fuzz"
for t in open fsck; do
  out="$d/merged-$t"
  rm -rf "$out"
  mkdir -p "$out"
  # the seeds first, as what is already covered; dropped again after
  cp "$d/ci/fuzz/seeds"/* "$out"/
  srcs=""
  for s in "ci/fuzz/corpus/$t" "ci/fuzz/corpus-$t" "$CI_BUILD_PREFIX-afl/afl-$t/default/queue"; do
    [ -d "$s" ] && srcs="$srcs $s"
  done
  # shellcheck disable=SC2086
  if ! ASAN_OPTIONS=detect_leaks=0 "$d/ci/fuzz/fuzz-$t" -merge=1 -use_counters=0 -timeout=10 -rss_limit_mb=2048 \
    "$out" $srcs >"$d/merge-$t.log" 2>&1; then
    tail -5 "$d/merge-$t.log"
    echo "nightly fuzz-$t: merge failed (log $d/merge-$t.log)"
    rc=1
    continue
  fi
  for f in "$d/ci/fuzz/seeds"/*; do rm -f "$out/$(basename "$f")"; done
  n="$(find "$out" -type f | wc -l)"
  kb="$(du -sk --apparent-size "$out" | cut -f1)"
  if $update; then
    mkdir -p "ci/fuzz/corpus/$t"
    find "ci/fuzz/corpus/$t" -type f -delete
    cp "$out"/* "ci/fuzz/corpus/$t"/
    echo "nightly fuzz-$t: ci/fuzz/corpus/$t updated: $n inputs, $kb KiB (review, then commit)"
  else
    echo "nightly fuzz-$t: merged corpus $n inputs, $kb KiB in $out (--update-corpus to keep it)"
  fi
done
exit $rc
