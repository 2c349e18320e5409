#!/bin/sh
# Runs every CI gate that fits in a CI job, each as a labelled step with its
# own timing line, then one summary line. scripts/test.sh calls this after
# the unit/conformance tests; a project adopting the suite can call it alone.
#   ci/gates.sh [GATE...]
#   GATE: matrix asan tsan memcheck fuzz static perf package (default: all, in that order)
# Environment:
#   SPLSUITE_BUILD    main build dir (default ./build), used by memcheck, static, perf
#   CI_FULL_MATRIX=1  all four compiler/optimisation configs (default: --quick, two)
#   CI_FUZZ_SECONDS   seconds per fuzz target (default 60)
#   CI_PERF_OUT       where perf-gate.json/.md go (default $SPLSUITE_BUILD/perf-gate)
# Exit 0 when no gate failed (skips, exit 77, are listed but do not fail).
set -u
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export SPLSUITE_BUILD="${SPLSUITE_BUILD:-$root/build}"
gates="${*:-matrix asan tsan memcheck fuzz static perf package}"
passed=0 failed=0 skipped=0 failed_list="" skipped_list=""

run_gate() { # name, command...
  name="$1"; shift
  echo "=== gate $name: $*"
  t0="$(date +%s)"
  "$@"
  rc=$?
  dt="$(($(date +%s) - t0))"
  case $rc in
  0) passed=$((passed + 1)); echo "=== gate $name: PASS (${dt} s)" ;;
  77) skipped=$((skipped + 1)); skipped_list="$skipped_list $name"; echo "=== gate $name: SKIP (${dt} s)" ;;
  *) failed=$((failed + 1)); failed_list="$failed_list $name"; echo "=== gate $name: FAIL, exit $rc (${dt} s)" ;;
  esac
}

for g in $gates; do
  case "$g" in
  matrix)
    if [ "${CI_FULL_MATRIX:-0}" = 1 ]; then run_gate matrix ci/build-matrix.sh
    else run_gate matrix ci/build-matrix.sh --quick; fi ;;
  asan) run_gate asan+ubsan ci/sanitize.sh asan ;;
  tsan) run_gate tsan ci/sanitize.sh tsan ;;
  memcheck) run_gate memcheck ci/memcheck.sh ;;
  fuzz) run_gate fuzz ci/fuzz/run.sh "${CI_FUZZ_SECONDS:-60}" ;;
  static) run_gate static-analysis ci/static-analysis.sh ;;
  perf) run_gate perf-gate ci/perf-gate --out "${CI_PERF_OUT:-$SPLSUITE_BUILD/perf-gate}" ;;
  package) run_gate package ci/package.sh ;;
  *) echo "gates: unknown gate '$g' (matrix asan tsan memcheck fuzz static perf package)" >&2; exit 2 ;;
  esac
done
echo "gates: $passed passed, $failed failed, $skipped skipped${failed_list:+ (failed:$failed_list)}${skipped_list:+ (skipped:$skipped_list)}"
[ "$failed" -eq 0 ]
