#!/bin/sh
# The steps of ci/lava/splinter-suite.yaml: runs splsuite conform and torture
# on this device and reports every rule to LAVA with lava-test-case, the
# torture run as one more case, and keeps the JSON documents and their KCIDB
# export in $OUTPUT. Uses an installed splsuite (the Debian package), else
# builds this checkout first (scripts/install-deps.sh conform, build.sh).
# Parameters (environment, as LAVA exports them): IMPL, TORTURE_DURATION,
# CONFORM_ARGS, OUTPUT, RESULTS_URL.
set -u
cd "$(dirname "$0")/../.."
IMPL="${IMPL:-ref}"
TORTURE_DURATION="${TORTURE_DURATION:-60s}"
OUTPUT="${OUTPUT:-./splinter-results}"
mkdir -p "$OUTPUT"
if command -v splsuite >/dev/null 2>&1; then
  S=splsuite
else
  ./scripts/install-deps.sh conform && ./scripts/build.sh || { lava-test-case splinter-build --result fail; exit 0; }
  S=./build/cli/splsuite
  lava-test-case splinter-build --result pass
fi
# one LAVA case per rule: PASS pass, FAIL fail, SKIP skip, ERROR unknown
result_of() { case "$1" in PASS) echo pass ;; FAIL) echo fail ;; SKIP) echo skip ;; *) echo unknown ;; esac; }

lava-test-set start conform
# shellcheck disable=SC2086
"$S" conform --impl "$IMPL" $CONFORM_ARGS --junit "$OUTPUT/conform.xml" -o "$OUTPUT/conform.json" >"$OUTPUT/conform.txt" 2>&1
rc=$?
if [ -s "$OUTPUT/conform.json" ]; then
  python3 - "$OUTPUT/conform.json" <<'PY' >"$OUTPUT/conform.cases"
import json, sys
for c in json.load(open(sys.argv[1]))["cases"]:
    print(c["id"], c["result"], "%.3f" % c.get("seconds", 0))
PY
  while read -r id res secs; do
    lava-test-case "$id" --result "$(result_of "$res")" --measurement "$secs" --units seconds
  done <"$OUTPUT/conform.cases"
else
  lava-test-case conform --result fail
fi
lava-test-case conform-exit --result "$([ $rc -eq 0 ] && echo pass || echo fail)" --measurement "$rc" --units exit
lava-test-set stop conform

lava-test-set start torture
"$S" torture --impl "$IMPL" --duration "$TORTURE_DURATION" --json >"$OUTPUT/torture.json" 2>"$OUTPUT/torture.txt"
trc=$?
lava-test-case torture --result "$([ $trc -eq 0 ] && echo pass || { [ $trc -eq 77 ] && echo skip || echo fail; })" \
  --measurement "$trc" --units exit
lava-test-set stop torture

# the KCIDB report of both, for a Kernel CI database
if "$S" kcidb "$OUTPUT/conform.json" "$OUTPUT/torture.json" -o "$OUTPUT/kcidb.json" 2>"$OUTPUT/kcidb.txt"; then
  lava-test-case kcidb-export --result pass
else
  lava-test-case kcidb-export --result fail
fi
if [ -n "${RESULTS_URL:-}" ]; then
  lava-test-reference splinter-results --result pass --reference "$RESULTS_URL"
fi
exit 0
