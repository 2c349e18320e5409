#!/bin/sh
# AFL++ on the libFuzzer entry points (fuzz-open, fuzz-fsck: the same
# LLVMFuzzerTestOneInput, linked with AFL++'s driver by afl-clang-fast
# -fsanitize=fuzzer), so a second engine with other mutations and another
# scheduler searches the same code.
#   ci/fuzz/afl.sh [SECONDS_PER_TARGET]   default 60; 0 = replay only
# Configures an ASan+UBSan build with afl-clang-fast in $CI_BUILD_PREFIX-afl
# (default ./build-afl), replays every regression input and the committed
# corpus (ci/fuzz/corpus/<target>/) through the AFL++ binaries, then fuzzes
# each target side by side ($CI_JOBS, default 2) from the committed corpus
# plus the seeds made now. Findings stay in $d/afl-<target>/ (queue, crashes,
# hangs); each crash or hang is copied to ci/fuzz/artifacts/afl-<target>-*.
# Exit 0 no crash, 1 crash/hang/failure, 77 AFL++ not installed
# (scripts/install-deps.sh fuzz).
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
. "$root/ci/fuzz/common.sh"
secs="${1:-60}"
case "$secs" in '' | *[!0-9]*) echo "usage: ci/fuzz/afl.sh [SECONDS_PER_TARGET]" >&2; exit 2 ;; esac
d="${CI_BUILD_PREFIX:-build}-afl"
jobs="${CI_JOBS:-2}"
if ! command -v afl-clang-fast >/dev/null 2>&1 || ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "afl: SKIP: AFL++ not installed (scripts/install-deps.sh fuzz)"
  exit 77
fi
export AFL_QUIET=1
fuzz_build afl-clang-fast "$d" "$jobs" afl
targets="open fsck"
# fuzz-open's store image lives here (a killed target leaves no file behind)
SPLSUITE_FUZZ_DIR="$(mktemp -d /dev/shm/splsuite-fuzz.XXXXXX 2>/dev/null || mktemp -d "${TMPDIR:-/tmp}/splsuite-fuzz.XXXXXX")"
export SPLSUITE_FUZZ_DIR
trap 'rm -rf "$SPLSUITE_FUZZ_DIR"' EXIT
rc=0
# 1. regressions and the committed corpus, one run each through the driver
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
ready=""
for t in $targets; do
  files="$(find "ci/fuzz/regressions/$t" "ci/fuzz/corpus/$t" -type f ! -name '*.md' 2>/dev/null | sort)"
  n="$(printf '%s' "$files" | grep -c . || true)"
  # shellcheck disable=SC2086
  if [ "$n" -gt 0 ] && ! "$d/ci/fuzz/fuzz-$t" $files >"$d/replay-$t.log" 2>&1; then
    grep -E "^Reading|ERROR|SUMMARY" "$d/replay-$t.log" | tail -5
    echo "afl fuzz-$t: an input of ci/fuzz/regressions/$t or ci/fuzz/corpus/$t crashes (log $d/replay-$t.log)"
    rc=1
    continue
  fi
  echo "afl fuzz-$t: replayed $n inputs (regressions + committed corpus): no crash"
  ready="$ready $t"
done
[ "$secs" -eq 0 ] && exit $rc

# 2. fuzzing, side by side. -m none: ASan reserves terabytes of address
# space; -t 5000: one input taking 5 s is a hang worth a report. Leaks are
# libFuzzer's job (run.sh): AFL++'s persistent loop would report them late.
export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=0:symbolize=0"
seeds="$d/ci/fuzz/seeds"
rm -rf "$seeds"
"$d/ci/fuzz/mkseeds" "$seeds" >/dev/null
mkdir -p ci/fuzz/artifacts
# shellcheck disable=SC2317 # run through pool (common.sh)
afl_one() { # target
  in="$d/afl-in-$1"
  rm -rf "$in" "$d/afl-$1"
  mkdir -p "$in"
  cp "$seeds"/* "$in"/
  if [ -d "ci/fuzz/corpus/$1" ]; then cp ci/fuzz/corpus/"$1"/* "$in"/ 2>/dev/null || true; fi
  afl-fuzz -V "$secs" -i "$in" -o "$d/afl-$1" -m none -t 5000 -- "$d/ci/fuzz/fuzz-$1" >"$d/afl-$1.log" 2>&1
}
# shellcheck disable=SC2086
pool "$jobs" afl_one "$d/afl" $ready

# 3. one line per target; every crash and hang copied out
for t in $ready; do
  out="$d/afl-$t/default"
  stat() { sed -n "s/^$1 *: *//p" "$out/fuzzer_stats" 2>/dev/null; }
  if [ "$(cat "$d/afl-$t.rc")" -ne 0 ] || [ ! -f "$out/fuzzer_stats" ]; then
    tail -20 "$d/afl-$t.log"
    echo "afl fuzz-$t: afl-fuzz failed (log $d/afl-$t.log)"
    rc=1
    continue
  fi
  found=0
  for f in "$out"/crashes/id:* "$out"/hangs/id:*; do
    [ -f "$f" ] || continue
    kind="$(basename "$(dirname "$f")")"
    cp "$f" "ci/fuzz/artifacts/afl-$t-$kind-$(sha1sum "$f" | cut -c1-16)"
    found=$((found + 1))
  done
  verdict="no crash"
  if [ "$found" -gt 0 ]; then
    verdict="$(stat saved_crashes) CRASH, $(stat saved_hangs) HANG (copied to ci/fuzz/artifacts/afl-$t-*)"
    rc=1
  fi
  echo "afl fuzz-$t: ${secs}s, $(stat execs_done) execs, $(stat execs_per_sec) exec/s, edges $(stat edges_found)/$(stat total_edges), corpus $(stat corpus_count), stability $(stat stability): $verdict"
done
exit $rc
