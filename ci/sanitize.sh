#!/bin/sh
# Sanitizer gates: builds the suite with a sanitizer in its own build dir and
# runs the tests that exercise the library under it.
#   ci/sanitize.sh asan   AddressSanitizer + UndefinedBehaviorSanitizer:
#                         unit tests (suite ref), conformance against the
#                         reference (suite conform), the shared-handle test,
#                         the live-region fuzzer (ci/fuzz/live_region.c)
#   ci/sanitize.sh tsan   ThreadSanitizer: the multi-threaded tests (ref/tests/mt,
#                         ci-mt-handle: threads sharing one store); the
#                         seqlock's deliberate races are atomic byte copies
#                         in a TSan build (ref/src/store.h sr_rd/sr_wr)
# Build dirs: $CI_BUILD_PREFIX-asan / -tsan (default ./build-asan, ./build-tsan).
# Exit 0 clean, 1 a sanitizer report or a failing test, 2 usage.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mode="${1:-}"
prefix="${CI_BUILD_PREFIX:-build}"
jobs="${CI_JOBS:-2}"

# Mutants, eBPF objects and the QEMU lab add build time and nothing a
# sanitizer could check here; -O1 keeps the instrumented tests quick.
common="-Dmutants=false -Dbpf=disabled -Dlab=disabled -Doptimization=1 -Ddebug=true -Db_lundef=false"

setup() { # dir, sanitizer, extra c_args, jq filter selecting the tests to run
  if [ ! -f "$1/build.ninja" ]; then
    # shellcheck disable=SC2086
    mkdir -p "$1"
    meson setup "$1" $common -Db_sanitize="$2" -Dc_args="$3" >"$1/ci-setup.log" 2>&1 ||
      { cat "$1/ci-setup.log" >&2; echo "sanitize: meson setup $1 failed" >&2; exit 1; }
  fi
  # Build only what the selected tests need: their executables, every shared
  # library (the implementations they dlopen) and the CLI some tests drive.
  # A whole instrumented tree would double this gate's time for nothing.
  # regenerate first if meson.build changed since the last run (a kept build
  # dir, a CI cache): the introspection below must list today's tests
  ninja -C "$1" build.ninja >"$1/ci-regen.log" 2>&1 || { cat "$1/ci-regen.log" >&2; echo "sanitize: regenerating $1 failed" >&2; exit 1; }
  ids="$(meson introspect "$1" --tests | jq -c "[.[] | select($4) | .depends[]] | unique")"
  abs="$(cd "$1" && pwd)"
  targets="$(meson introspect "$1" --targets | jq -r --argjson ids "$ids" \
    '.[] | select((.id as $i | $ids | index($i)) or .type == "shared library" or .name == "splsuite") | .filename[]' |
    sed "s|^$abs/||" | grep -v '^/' | sort -u)"
  # shellcheck disable=SC2086
  ninja -C "$1" -j "$jobs" $targets >"$1/ci-build.log" 2>&1 || { tail -40 "$1/ci-build.log" >&2; echo "sanitize: build $1 failed" >&2; exit 1; }
}

run_tests() { # dir, then meson test selectors
  d="$1"; shift
  meson test -C "$d" --no-rebuild --print-errorlogs --num-processes "$jobs" "$@"
}

case "$mode" in
asan)
  d="$prefix-asan"
  setup "$d" address,undefined "-fno-sanitize-recover=all -fno-omit-frame-pointer" \
    'any(.suite[]; endswith(":ref") or endswith(":conform")) or .name == "ci-mt-handle" or (.name | startswith("ci-live-region"))'
  # halt at the first report; leaks count as failures. handle_segv=0: the
  # suite crashes children on purpose (lib/proc's crash reporting, the
  # conformance harness's risky cases) and checks they die by SIGSEGV; ASan's
  # own SEGV handler would turn that into an abort. A real wild access is
  # still caught: ASan reports it before any SEGV happens.
  export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:print_summary=1:handle_segv=0"
  export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1"
  rc=0
  # Every test of suites ref and conform runs here, including those of how
  # the libraries are linked and loaded: check-needed.sh allows exactly the
  # sanitizer runtimes of this build, header-compat builds with its
  # -fsanitize=, and conform-shim-deepbind says SKIP with its reason (the
  # runtime refuses RTLD_DEEPBIND).
  for s in ref conform; do
    if [ -n "$(meson test -C "$d" --list --no-rebuild --suite "$s" 2>/dev/null)" ]; then
      if [ "$s" = ref ]; then
        # Criterion's runner leaks one allocation of its own at exit
        # (ci/lsan.supp says which). A suppression names a module, and LSan
        # matches it against every frame of a leak's stack: with full stacks
        # it would also hide a leak of ours made in a test body (Criterion's
        # frames are below every test; checked with a planted leak). With
        # two frames (the allocator and its direct caller) it matches only
        # memory Criterion itself allocated. Detection is unchanged; ASan's
        # allocation/free stacks in a report show the direct caller only:
        # rerun the test by hand without this for the full ones.
        LSAN_OPTIONS="suppressions=$root/ci/lsan.supp:malloc_context_size=2" run_tests "$d" --suite "$s" || rc=1
      else
        run_tests "$d" --suite "$s" || rc=1
      fi
    else
      echo "sanitize: suite '$s' has no tests in this tree: not run"
    fi
  done
  run_tests "$d" ci-mt-handle || rc=1
  # the live-region fuzzer: a hostile peer rewrites the store under workers
  # calling every function; ASan on top of its guard pages (10 s in all)
  run_tests "$d" ci-live-region ci-live-region-file || rc=1
  exit $rc
  ;;
tsan)
  d="$prefix-tsan"
  setup "$d" thread "-fno-omit-frame-pointer" '.name == "ci-mt-handle" or (.name | startswith("ref-mt-"))'
  export TSAN_OPTIONS="halt_on_error=1:abort_on_error=1:history_size=7:second_deadlock_stack=1:suppressions=$root/ci/tsan.supp"
  # The plain multi-threaded tests: ref/tests/mt/ (every case of the
  # reference where threads share a store, both backends) and ci-mt-handle.
  # Criterion cannot start under TSan ("Could not initialize inheritable
  # arena": its fixed-address arena collides with TSan's shadow memory),
  # which is why the threaded cases are plain programs. The mutant checks
  # (ref-mt-*-catches-*) are not built here (-Dmutants=false).
  rc=0
  # shellcheck disable=SC2046
  run_tests "$d" ci-mt-handle $(meson test -C "$d" --list --no-rebuild 2>/dev/null | sed -n 's|.* / \(ref-mt-[^ ]*\)$|\1|p') || rc=1
  exit $rc
  ;;
*)
  echo "usage: ci/sanitize.sh asan|tsan" >&2
  exit 2
  ;;
esac
