#!/bin/bash
# torture_expect.sh SUCCESS|FAILURE REGEX SPLSUITE [torture args...]
# Runs `splsuite torture` and checks its verdict line, its exit status and, for
# an expected FAILURE, that the first counterexample is the kind the test is
# about (REGEX, extended). A mutant that was not built, or a power cut that
# needs root, makes the test skip (77) with the reason.
set -u
want=$1 regex=$2 splsuite=$3
shift 3
out=$(mktemp "${TMPDIR:-/tmp}/torture-test.XXXXXX")
trap 'rm -f "$out"' EXIT
"$splsuite" torture "$@" >"$out" 2>&1
rc=$?
grep -E '^(splsuite-torture:---|!!!|splsuite torture:|\[)|Reader' "$out" | tail -n 30
if [ $rc -eq 77 ]; then echo "SKIP: $(grep -m1 'torture:' "$out")"; exit 77; fi
if [ $rc -eq 2 ] && grep -q 'not built' "$out"; then echo "SKIP: $(grep -m1 'not built' "$out")"; exit 77; fi
case $want in
SUCCESS)
    if [ $rc -ne 0 ] || ! grep -q 'End of test: SUCCESS' "$out"; then echo "FAIL: expected SUCCESS, exit $rc"; exit 1; fi
    if [ -n "$regex" ] && ! grep -Eq "$regex" "$out"; then echo "FAIL: output lacks /$regex/"; exit 1; fi
    ;;
FAILURE)
    if [ $rc -ne 1 ] || ! grep -q 'End of test: FAILURE' "$out"; then echo "FAIL: expected FAILURE (exit 1), got exit $rc"; exit 1; fi
    if ! grep -E 'first failure:' "$out" | grep -Eq "$regex"; then echo "FAIL: first failure is not /$regex/"; exit 1; fi
    ;;
*) echo "usage: $0 SUCCESS|FAILURE REGEX SPLSUITE [args]"; exit 2 ;;
esac
echo "ok: $want as expected"
exit 0
