#!/bin/sh
# Bounded libFuzzer runs of both targets (fuzz-open, fuzz-fsck), side by side
# on $CI_JOBS cores (default 2).
#   ci/fuzz/run.sh [SECONDS_PER_TARGET]     default 60 (CI); hours for a long run
# Configures a clang build with ASan+UBSan in $CI_BUILD_PREFIX-fuzz (default
# ./build-fuzz), makes the seed corpus from real stores, replays every
# regression input, then fuzzes each target from the committed corpus
# (ci/fuzz/corpus/<target>/, minimized by ci/fuzz/nightly.sh) and the seeds.
# New interesting inputs are kept in ci/fuzz/corpus-<target>/ (not
# committed), so later runs resume from them. When AFL++ is installed
# (scripts/install-deps.sh fuzz) the regressions and the committed corpus are
# replayed through the AFL++ builds too (ci/fuzz/afl.sh 0: a few seconds).
# Crash inputs land in ci/fuzz/artifacts/. Exit 0 no crash, 1 crash/failure,
# 77 clang's libFuzzer not available. The long (nightly) run, both engines:
# ci/fuzz/nightly.sh.
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
. "$root/ci/fuzz/common.sh"
secs="${1:-60}"
d="${CI_BUILD_PREFIX:-build}-fuzz"
jobs="${CI_JOBS:-2}"
command -v clang >/dev/null 2>&1 || { echo "fuzz: SKIP: clang not installed"; exit 77; }
fuzz_build clang "$d" "$jobs" fuzz

seeds="$d/ci/fuzz/seeds"
rm -rf "$seeds"
"$d/ci/fuzz/mkseeds" "$seeds" >/dev/null
mkdir -p ci/fuzz/artifacts
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
rc=0
targets="open fsck"
# fuzz-open's store image lives here (a killed target leaves no file behind)
SPLSUITE_FUZZ_DIR="$(mktemp -d /dev/shm/splsuite-fuzz.XXXXXX 2>/dev/null || mktemp -d "${TMPDIR:-/tmp}/splsuite-fuzz.XXXXXX")"
export SPLSUITE_FUZZ_DIR
trap 'rm -rf "$SPLSUITE_FUZZ_DIR"' EXIT
# 1. every regression input replayed, each target: a known crash back is a failure
ready=""
for t in $targets; do
  bin="$d/ci/fuzz/fuzz-$t"
  log="$d/fuzz-$t.log"
  mkdir -p "ci/fuzz/corpus-$t"
  if [ -d "ci/fuzz/regressions/$t" ] && [ -n "$(ls -A "ci/fuzz/regressions/$t")" ]; then
    if ! "$bin" -runs=0 "ci/fuzz/regressions/$t"/* >"$log.regress" 2>&1; then
      tail -30 "$log.regress"; echo "fuzz-$t: a regression input crashes again"; rc=1; continue
    fi
  fi
  ready="$ready $t"
done
# 2. the targets fuzz side by side, one libFuzzer process per core ($CI_JOBS,
# default 2): each still gets its SECONDS of one core, in half the wall time.
# -timeout: one input taking 10 s is a hang worth a report; rss 2 GiB
# keeps a runaway allocation from taking the machine down
# shellcheck disable=SC2317 # run through pool (common.sh)
fuzz_one() { # target; exit status 0 no crash
  # shellcheck disable=SC2046
  "$d/ci/fuzz/fuzz-$1" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="ci/fuzz/artifacts/$1-" "ci/fuzz/corpus-$1" "$seeds" $(ls -d "ci/fuzz/corpus/$1" 2>/dev/null) \
    >"$d/fuzz-$1.log" 2>&1
}
# the second engine's builds replay what the first one keeps, built while
# libFuzzer runs (its build is ~20 s of CPU: wall time stays the same; the
# fuzzers get that much less CPU). Optional: the CI's test group does not
# install AFL++, and afl.sh says so (77).
afl_rc="$d/afl-replay.rc"
rm -f "$afl_rc"
( arc=0; CI_BUILD_PREFIX="${CI_BUILD_PREFIX:-build}" nice "$root/ci/fuzz/afl.sh" 0 >"$d/afl-replay.log" 2>&1 || arc=$?
  echo "$arc" >"$afl_rc" ) &
afl_pid=$!
# shellcheck disable=SC2086
pool "$jobs" fuzz_one "$d/fuzz" $ready
# 3. one line per target
for t in $ready; do
  log="$d/fuzz-$t.log"
  if [ "$(cat "$d/fuzz-$t.rc")" -eq 0 ]; then
    verdict="no crash"
  else
    verdict="CRASH (see $log; artifact in ci/fuzz/artifacts/)"
    rc=1
    grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -5
  fi
  last="$(grep -E '^#[0-9]+' "$log" | tail -1)"
  cov="$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')"
  ft="$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')"
  corp="$(echo "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  eps="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
  echo "fuzz-$t: ${secs}s, ${execs:-?} execs, ${eps:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}: $verdict"
done
# 4. the AFL++ replay started above
wait "$afl_pid" || true
cat "$d/afl-replay.log"
case "$(cat "$afl_rc" 2>/dev/null)" in 0 | 77) ;; *) echo "fuzz: the AFL++ replay failed (log $d/afl-replay.log)"; rc=1 ;; esac
exit $rc
