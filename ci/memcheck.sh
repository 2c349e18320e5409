#!/bin/sh
# valgrind memcheck over the unit tests: the ref suite through its 'valgrind'
# test setup (ref/tests/meson.build: follows Criterion's forked workers,
# fails on errors and definite leaks), plus the shared-handle test.
# Uses the main build dir ($SPLSUITE_BUILD, default ./build).
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SPLSUITE_BUILD:-$root/build}"
command -v valgrind >/dev/null 2>&1 || { echo "memcheck: SKIP: valgrind not installed (apt install valgrind)"; exit 77; }
[ -f "$build/build.ninja" ] || { echo "memcheck: $build is not configured: run ./scripts/build.sh" >&2; exit 2; }
rc=0
meson test -C "$build" --print-errorlogs --num-processes "${CI_JOBS:-2}" --setup valgrind --suite ref || rc=1
meson test -C "$build" --print-errorlogs --setup valgrind ci-mt-handle || rc=1
exit $rc
