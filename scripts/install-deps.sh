#!/bin/sh
# Installs the Debian 12 packages one job needs, and no more.
#   scripts/install-deps.sh [GROUP...]      (default: all)
#   scripts/install-deps.sh --list [GROUP...]   print the packages, install nothing
# Groups:
#   conform   build the suite and run the conformance suite (./scripts/conform.sh)
#   test      everything ./scripts/test.sh runs: unit tests, torture, bench,
#             eBPF, the NUMA lab, the results store, the CI gates
#   package   build the .debs and lint them (ci/package.sh)
#   fuzz      the long fuzz runs beside libFuzzer (ci/fuzz/nightly.sh: AFL++);
#             not part of test: the normal CI replays the corpus without it
#   all       all of the above
# Idempotent: installs only what is missing (apt-get, as root).
set -eu
CONFORM="
  build-essential meson ninja-build pkg-config python3
  libjson-c-dev liburing-dev libnuma-dev
"
TEST="
  libcriterion-dev numactl
  libbpf-dev bpftool clang llvm libelf-dev zlib1g-dev libclang-rt-14-dev jq
  linux-perf valgrind cppcheck clang-tidy gnuplot-nox fio
  python3-jsonschema python3-yaml libbenchmark-tools python3-scipy
  libsqlite3-dev libpq-dev postgresql man-db
  qemu-system-x86 busybox-static cpio kmod xz-utils
"
PACKAGE="
  dpkg-dev debhelper lintian fakeroot git
"
FUZZ="
  clang libclang-rt-14-dev afl++
"
list=false
if [ "${1:-}" = --list ]; then list=true; shift; fi
PKGS=""
for g in ${*:-all}; do
  case "$g" in
  conform) PKGS="$PKGS $CONFORM" ;;
  test) PKGS="$PKGS $CONFORM $TEST" ;;
  package) PKGS="$PKGS $CONFORM $TEST $PACKAGE" ;;
  fuzz) PKGS="$PKGS $CONFORM $FUZZ" ;;
  all) PKGS="$PKGS $CONFORM $TEST $PACKAGE $FUZZ" ;;
  *) echo "install-deps: unknown group '$g' (conform, test, package, fuzz, all)" >&2; exit 2 ;;
  esac
done
if $list; then
  # shellcheck disable=SC2086
  printf '%s\n' $PKGS | sort -u
  exit 0
fi
missing=""
for p in $PKGS; do
  case " $missing " in *" $p "*) continue ;; esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages:$missing" >&2
  echo "install-deps: run as root (or: sudo apt-get install$missing)" >&2
  exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
