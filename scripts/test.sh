#!/bin/sh
# Runs every test that fits in CI: unit tests, conformance, torture, bench
# smoke runs, eBPF probes, the NUMA lab, and the CI gates of ci/.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
meson test -C build --print-errorlogs --num-processes 2
