#!/bin/sh
# lab-boot.sh SPLSUITE BUILD_DIR NODES - the meson 'lab' test: boots a NODES-node
# guest and runs guest-checks.sh inside, whose TAP comes back on stdout.
# When no guest could run at all (no QEMU, no kernel to be had) it is a TAP
# skip with the reason; a guest that boots and then fails is a failure.
set -u
S=$1
B=$2
NODES=$3
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$B/lab/tests/run-$NODES-nodes"
rm -rf "$OUT"
mkdir -p "$OUT"
"$S" lab --nodes "$NODES" --timeout "${LAB_TEST_TIMEOUT:-280}" --outdir "$OUT" \
    --exec -- "$HERE/guest-checks.sh" "$B" 2> "$OUT/lab.stderr"
rc=$?
sed 's/^/# /' "$OUT/lab.stderr"
if [ -f "$OUT/status" ]; then
    exit "$rc" # the guest ran the checks: their TAP and status decide
fi
if [ "$rc" = 77 ]; then
    echo "1..0 # SKIP no guest can run here: $(grep -m1 'splsuite lab:' "$OUT/lab.stderr" | grep -v '^splsuite lab: kernel' | tail -n 1)"
    exit 77
fi
last=$(grep '^# running: ' "$OUT/stdout" 2> /dev/null | tail -n 1 | sed 's/^# running: //')
echo "Bail out! the guest did not finish the checks (lab status $rc${last:+, stalled in: $last}); console log: $OUT/console.log"
exit 1
