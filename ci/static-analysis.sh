#!/bin/sh
# Static analysis gate: cppcheck and clang-tidy over every C source of the
# project, with the configuration checked in here (ci/cppcheck.cfg,
# ci/clang-tidy.yaml). Clean means no finding at all; a deliberate exception
# is suppressed at its line (// cppcheck-suppress ID, // NOLINT(check)) with
# the reason next to it.
#   ci/static-analysis.sh [cppcheck|clang-tidy|function-size|all]  (default all)
# function-size: no function over 120 lines in the suite's own parts
# (ci/function-size.py; ref/ and tests/ are not among them).
# Needs a configured build dir ($SPLSUITE_BUILD, default ./build) for the
# compile database. Findings are printed as file:line:col and counted per
# top-level directory (= per owner). Exit 0 clean, 1 findings, 77 tool missing.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
what="${1:-all}"
build="${SPLSUITE_BUILD:-$root/build}"
jobs="${CI_JOBS:-2}"
[ -f "$build/compile_commands.json" ] || { echo "static-analysis: $build has no compile_commands.json: run ./scripts/build.sh" >&2; exit 2; }
command -v jq >/dev/null 2>&1 || { echo "static-analysis: SKIP: jq not installed (apt install jq)"; exit 77; }
tmp="$(mktemp -d "${TMPDIR:-/tmp}/splsuite-ci-sa-$$.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
"$root/ci/compdb.sh" "$build" >"$tmp/compile_commands.json"
# sources relative to the root; generated files in the build tree excluded
(cd "$build" && jq -r '.[].file' "$tmp/compile_commands.json" | while read -r f; do realpath --relative-to="$root" "$f"; done) |
  grep -v '^\.\.' | grep -v "^$(basename "$build")/" | sort >"$tmp/files"
nfiles="$(wc -l <"$tmp/files")"
rc=0

summarize() { # tool, findings file
  n="$(grep -c . "$2" || true)"
  if [ "$n" -eq 0 ]; then
    echo "$1: clean ($nfiles files)"
  else
    cat "$2"
    echo "$1: $n finding(s) in $nfiles files; by directory:"
    sed 's|/.*||' "$2" | sort | uniq -c | sed 's/^/  /'
    rc=1
  fi
}

if [ "$what" = all ] || [ "$what" = cppcheck ]; then
  if ! command -v cppcheck >/dev/null 2>&1; then
    echo "cppcheck: SKIP: not installed (apt install cppcheck)"
    [ "$what" = cppcheck ] && exit 77
  else
    # project include dirs only: parsing the system headers multiplies the
    # run time for nothing (cppcheck reports on project files anyway).
    # REF_LIB: meson gives it to the test impls of tests/cli/impls (forward.h
    # stops with #error without it); any library name parses the same
    # shellcheck disable=SC2046
    cppcheck -q --std=c11 --enable=warning,portability,performance --inline-suppr \
      --library="$root/ci/cppcheck.cfg" --suppress=missingIncludeSystem --max-configs=1 -j "$jobs" \
      -D_GNU_SOURCE -D__GNUC__ -D__x86_64__ -D__linux__ '-DREF_LIB="libsplref.so"' \
      -I ref/include -I ref/src -I lib \
      --template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
      $(cat "$tmp/files") </dev/null 2>"$tmp/cppcheck.out" >/dev/null || true
    grep -E '^[^ ]+:[0-9]+:[0-9]+: ' "$tmp/cppcheck.out" | sort -u >"$tmp/cppcheck.findings" || true
    summarize cppcheck "$tmp/cppcheck.findings"
  fi
fi

if [ "$what" = all ] || [ "$what" = clang-tidy ]; then
  if ! command -v clang-tidy >/dev/null 2>&1; then
    echo "clang-tidy: SKIP: not installed (apt install clang-tidy)"
    [ "$what" = clang-tidy ] && exit 77
  else
    # clang-tidy runs from the build dir, where the database's paths start
    (cd "$build" && sed "s|^|$root/|" "$tmp/files" |
      xargs -P "$jobs" -n 4 clang-tidy -p "$tmp" --config-file="$root/ci/clang-tidy.yaml" --quiet) \
      >"$tmp/tidy.out" 2>"$tmp/tidy.err" || true
    # paths come relative to the build dir or absolute: make them relative to
    # the root, and drop what is not project source (generated skeletons)
    bname="$(basename "$build")"
    grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' "$tmp/tidy.out" | sed 's/,-warnings-as-errors\]$/]/' |
      while IFS= read -r line; do
        f="${line%%:*}"
        case "$f" in /*) ;; *) f="$build/$f" ;; esac
        rel="$(realpath -m --relative-to="$root" "$f")"
        case "$rel" in ../* | "$bname"/*) continue ;; esac
        printf '%s:%s\n' "$rel" "${line#*:}"
      done | sort -u >"$tmp/tidy.findings" || true
    summarize clang-tidy "$tmp/tidy.findings"
  fi
fi
if [ "$what" = all ] || [ "$what" = function-size ]; then
  # prints the functions over the limit, then one summary line
  "$root/ci/function-size.py" || rc=1
fi
exit $rc
