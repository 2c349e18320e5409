#!/bin/sh
# Installs the Debian 12 packages the suite builds and tests with.
# Idempotent: does nothing when every package is already installed.
set -eu
PKGS="
  build-essential meson ninja-build pkg-config python3
  libjson-c-dev libcriterion-dev liburing-dev libnuma-dev numactl
  libbpf-dev bpftool clang llvm libelf-dev zlib1g-dev libclang-rt-14-dev jq
  linux-perf valgrind cppcheck clang-tidy gnuplot-nox fio
  python3-jsonschema libbenchmark-tools python3-scipy
  libsqlite3-dev libpq-dev postgresql
  qemu-system-x86 busybox-static cpio kmod xz-utils
"
missing=""
for p in $PKGS; do
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
