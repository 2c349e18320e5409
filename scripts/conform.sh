#!/bin/sh
# The main job: conformance suite against the built-in reference, with its
# report (terminal table; TAP, JUnit and JSON under build/reports/).
# Extra arguments go to `splsuite conform` (e.g. --impl ./their.so).
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh conform
./scripts/build.sh
mkdir -p build/reports
exec ./build/cli/splsuite conform \
  --tap build/reports/conform.tap --junit build/reports/conform.xml --json-out build/reports/conform.json "$@"
