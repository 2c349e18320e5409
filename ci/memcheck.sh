#!/bin/sh
# valgrind memcheck gate, through the 'valgrind' test setup of ref/tests
# (follows Criterion's forked workers, fails on errors and definite leaks).
# Uses the main build dir ($SPLSUITE_BUILD, default ./build).
#   ci/memcheck.sh            CI set: the core unit tests (open/create/close
#                             lifecycle, set/get/unset/append: the shm build)
#                             and the shared-handle test, about 2 minutes
#   CI_MEMCHECK_ALL=1 ci/memcheck.sh
#                             every test of suite ref, both backends: about
#                             30 minutes on 2 cores (each Criterion test is a
#                             forked worker valgrind starts afresh), so it is
#                             the nightly job, not the per-push one
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SPLSUITE_BUILD:-$root/build}"
command -v valgrind >/dev/null 2>&1 || { echo "memcheck: SKIP: valgrind not installed (apt install valgrind)"; exit 77; }
[ -f "$build/build.ninja" ] || { echo "memcheck: $build is not configured: run ./scripts/build.sh" >&2; exit 2; }
rc=0
if [ "${CI_MEMCHECK_ALL:-0}" = 1 ]; then
  meson test -C "$build" --print-errorlogs --num-processes "${CI_JOBS:-2}" --setup valgrind --suite ref || rc=1
  meson test -C "$build" --print-errorlogs --setup valgrind ci-mt-handle || rc=1
else
  meson test -C "$build" --print-errorlogs --num-processes "${CI_JOBS:-2}" --setup valgrind \
    unit-lifecycle-shm unit-kv-shm ci-mt-handle || rc=1
fi
exit $rc
