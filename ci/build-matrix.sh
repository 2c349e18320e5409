#!/bin/sh
# Build matrix gate: the whole suite compiled by gcc and clang, at -O0 and
# -O2, with -Werror over the project's strict warning set: meson
# warning_level=2 (-Wall -Wextra) plus -Wshadow, -Wstrict-prototypes,
# -Wmissing-prototypes, -Wformat=2 from meson.build. Not -Wpedantic: ISO C
# forbids the object-to-function pointer conversion every dlsym() user
# makes, which POSIX requires to work.
#   ci/build-matrix.sh [--quick] [CONFIG...]
#   CONFIG: gcc-O0 gcc-O2 clang-O0 clang-O2 (default: all four)
#   --quick   gcc-O2 and clang-O0 only: both compilers, both optimisation
#             regimes (the -O2 warnings come from gcc's optimiser)
# Each config has its own build dir $CI_BUILD_PREFIX-CONFIG (default
# ./build-gcc-O2, ...). Mutants are left out: they are the same sources.
# Exit 0 all built, 1 some config failed (its first errors are printed).
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
prefix="${CI_BUILD_PREFIX:-build}"
jobs="${CI_JOBS:-2}"
configs=""
for a in "$@"; do
  case "$a" in
  --quick) configs="$configs gcc-O2 clang-O0" ;;
  gcc-O0 | gcc-O2 | clang-O0 | clang-O2) configs="$configs $a" ;;
  *) echo "usage: ci/build-matrix.sh [--quick] [gcc-O0|gcc-O2|clang-O0|clang-O2]..." >&2; exit 2 ;;
  esac
done
[ -n "$configs" ] || configs="gcc-O0 gcc-O2 clang-O0 clang-O2"
rc=0
for c in $configs; do
  compiler="${c%-*}"
  opt="${c#*-O}"
  d="$prefix-$c"
  command -v "$compiler" >/dev/null 2>&1 || { echo "matrix $c: SKIP: $compiler not installed"; continue; }
  t0="$(date +%s)"
  if [ ! -f "$d/build.ninja" ]; then
    mkdir -p "$d"
    if ! CC="$compiler" meson setup "$d" -Dwerror=true -Dwarning_level=2 -Doptimization="$opt" -Ddebug=true \
         -Dmutants=false >"$d/ci-setup.log" 2>&1; then
      tail -15 "$d/ci-setup.log"; echo "matrix $c: FAIL (meson setup)"; rc=1; continue
    fi
  fi
  if ninja -C "$d" -j "$jobs" -k 0 >"$d/ci-build.log" 2>&1; then
    echo "matrix $c: ok ($(($(date +%s) - t0)) s)"
  else
    grep -E 'error:|warning:' "$d/ci-build.log" | sort -u | head -40
    echo "matrix $c: FAIL ($(($(date +%s) - t0)) s, full log $d/ci-build.log)"
    rc=1
  fi
done
exit $rc
