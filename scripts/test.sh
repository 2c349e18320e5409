#!/bin/sh
# Runs every test that fits in CI: unit tests, conformance, torture, bench
# smoke runs, eBPF probes, the NUMA lab, and the CI gates of ci/.
set -eu
cd "$(dirname "$0")/.."
t0="$(date +%s)"
./scripts/install-deps.sh test package
./scripts/build.sh
echo "=== step meson test (all suites)"
tests_rc=0
meson test -C build --print-errorlogs --num-processes 2 || tests_rc=$?
echo "=== step meson test: $([ $tests_rc -eq 0 ] && echo PASS || echo "FAIL, exit $tests_rc") ($(($(date +%s) - t0)) s since start)"
# The gates of ci/ (docs/ci.md): build matrix, sanitizers, memcheck,
# fuzzing, static analysis, perf regression gate; one line each, then a summary.
gates_rc=0
SPLSUITE_BUILD="$PWD/build" ./ci/gates.sh || gates_rc=$?
# Last, so that a log cut to its tail still names the failed tests.
[ $tests_rc -eq 0 ] || python3 ci/meson-failures.py build/meson-logs/testlog.json || true
echo "test.sh: meson test $([ $tests_rc -eq 0 ] && echo passed || echo failed), gates $([ $gates_rc -eq 0 ] && echo passed || echo failed), $(($(date +%s) - t0)) s in all"
[ $tests_rc -eq 0 ] && [ $gates_rc -eq 0 ]
