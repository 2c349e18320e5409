#!/bin/sh
# Benchmarks the reference library of a base commit against this tree's, in
# one run with interleaved repetitions (base, head, base, head...: the
# runner's noise hits both alike), and compares them row by row with
# `splsuite compare` (Mann-Whitney U over the repetitions). For the pull
# request comment of docs/ci.md's CI jobs.
#   ci/perf-compare.sh BASE_REF OUT_DIR [BENCH ARGS...]
# Writes OUT_DIR/bench.json, OUT_DIR/compare.json and OUT_DIR/compare.md
# (with perf-gate.md appended when the gate wrote one there). Only the base's
# library is built (meson compile splref in a worktree), not its whole suite.
# Exit: 0 nothing worse, 1 a row got worse, 2 usage or a build failed.
# Environment: SPLSUITE_BUILD (default ./build), PERF_COMPARE_THRESHOLD (10), PERF_COMPARE_ALPHA (0.01).
set -eu
[ $# -ge 2 ] || { echo "usage: ci/perf-compare.sh BASE_REF OUT_DIR [BENCH ARGS...]" >&2; exit 2; }
base_ref=$1 out=$2
shift 2
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SPLSUITE_BUILD:-$root/build}"
splsuite="$build/cli/splsuite"
[ -x "$splsuite" ] || { echo "perf-compare: $splsuite not built (scripts/build.sh)" >&2; exit 2; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"
base="$(mktemp -d "${TMPDIR:-/tmp}/splsuite-base.XXXXXX")"
cleanup() { git -C "$root" worktree remove --force "$base/src" >/dev/null 2>&1 || true; rm -rf "$base"; }
trap cleanup EXIT
sha="$(git -C "$root" rev-parse --verify "$base_ref^{commit}")" || { echo "perf-compare: no commit '$base_ref'" >&2; exit 2; }
git -C "$root" worktree add --detach "$base/src" "$sha" >/dev/null 2>&1 || { echo "perf-compare: git worktree add failed" >&2; exit 2; }
if ! { meson setup "$base/build" "$base/src" -Dtests=disabled -Dbpf=disabled -Dlab=disabled -Dfuzz=disabled \
         -Dmutants=false >"$base/setup.log" 2>&1 && meson compile -C "$base/build" splref >"$base/compile.log" 2>&1; }; then
  tail -20 "$base/setup.log" "$base/compile.log" >&2
  echo "perf-compare: the base commit's library did not build" >&2
  exit 2
fi
cp -L "$base/build/ref/libsplref.so" "$out/base.so"
cp -L "$build/ref/libsplref.so" "$out/head.so"
echo "perf-compare: base $(git -C "$root" rev-parse --short "$sha") against head $(git -C "$root" rev-parse --short HEAD)" >&2
# shellcheck disable=SC2086
"$splsuite" bench ${*:-ops --ops set,get -r 7 --time 100ms} --impl "$out/base.so" --impl "$out/head.so" \
  --no-progress --json -o "$out/bench.json" >/dev/null
rc=0
"$splsuite" compare --threshold "${PERF_COMPARE_THRESHOLD:-10}" --alpha "${PERF_COMPARE_ALPHA:-0.01}" --old-impl base.so --new-impl head.so \
  --markdown -o "$out/compare.md" "$out/bench.json" >/dev/null || rc=$?
"$splsuite" compare --threshold "${PERF_COMPARE_THRESHOLD:-10}" --alpha "${PERF_COMPARE_ALPHA:-0.01}" --old-impl base.so --new-impl head.so \
  --json -o "$out/compare.json" "$out/bench.json" >/dev/null || true
if [ -f "$out/perf-gate.md" ]; then
  printf '\n' >>"$out/compare.md"
  cat "$out/perf-gate.md" >>"$out/compare.md"
fi
[ $rc -le 1 ] || exit 2
exit $rc
