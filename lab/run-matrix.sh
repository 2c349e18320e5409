#!/bin/sh
# run-matrix.sh [BUILD_DIR] [NODE_COUNTS] - the lab's one command: builds the
# suite if needed, then boots a 2-node and a 4-node guest (or NODE_COUNTS,
# e.g. 2,3,4) and runs lab/tests/guest-checks.sh inside each: topology,
# NUMA placement, bench placement and matrix, the conformance suite, and the
# eBPF per-node attribution. Prints each guest's TAP, then a table of boot and
# run times. Results (console logs, every step's output) stay in
# BUILD_DIR/lab-matrix/. Exit status: 0 when every check passed everywhere.
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
COUNTS=${2:-2,4}
if [ ! -x "$B/cli/splsuite" ]; then
    if [ "$B" = build ]; then
        ./scripts/install-deps.sh
        ./scripts/build.sh
    else
        echo "run-matrix: no $B/cli/splsuite: build first (meson setup $B && ninja -C $B)" >&2
        exit 2
    fi
fi
B=$(cd "$B" && pwd)
OUT="$B/lab-matrix"
rm -rf "$OUT"
exec "$B/cli/splsuite" lab --matrix "$COUNTS" --timeout "${LAB_TIMEOUT:-300}" --outdir "$OUT" \
    --exec -- "$PWD/lab/tests/guest-checks.sh" "$B"
