#!/bin/sh
# Sanitizer gates: builds the suite with a sanitizer in its own build dir and
# runs the tests that exercise the library under it.
#   ci/sanitize.sh asan   AddressSanitizer + UndefinedBehaviorSanitizer:
#                         unit tests (suite ref), conformance against the
#                         reference (suite conform), the shared-handle test
#   ci/sanitize.sh tsan   ThreadSanitizer: the multi-threaded test ci-mt-handle
#                         (threads sharing one store handle), with the
#                         seqlock's deliberate races suppressed (ci/tsan.supp)
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
    'any(.suite[]; endswith(":ref") or endswith(":conform")) or .name == "ci-mt-handle"'
  # halt at the first report; leaks count as failures. handle_segv=0: the
  # suite crashes children on purpose (lib/proc's crash reporting, the
  # conformance harness's risky cases) and checks they die by SIGSEGV; ASan's
  # own SEGV handler would turn that into an abort. A real wild access is
  # still caught: ASan reports it before any SEGV happens.
  export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:print_summary=1:handle_segv=0"
  export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1"
  rc=0
  for s in ref conform; do
    if meson test -C "$d" --list --no-rebuild --suite "$s" >/dev/null 2>&1 && [ -n "$(meson test -C "$d" --list --no-rebuild --suite "$s" 2>/dev/null)" ]; then
      run_tests "$d" --suite "$s" || rc=1
    else
      echo "sanitize: suite '$s' has no tests in this tree: not run"
    fi
  done
  run_tests "$d" ci-mt-handle || rc=1
  exit $rc
  ;;
tsan)
  d="$prefix-tsan"
  setup "$d" thread "-fno-omit-frame-pointer" '.name == "ci-mt-handle"'
  export TSAN_OPTIONS="halt_on_error=1:abort_on_error=1:history_size=7:second_deadlock_stack=1:suppressions=$root/ci/tsan.supp"
  # Only the plain multi-threaded tests: Criterion cannot start under TSan
  # ("Could not initialize inheritable arena": its fixed-address arena
  # collides with TSan's shadow memory), so the Criterion unit tests that
  # start threads run under ASan and valgrind instead.
  rc=0
  run_tests "$d" ci-mt-handle || rc=1
  exit $rc
  ;;
*)
  echo "usage: ci/sanitize.sh asan|tsan" >&2
  exit 2
  ;;
esac
