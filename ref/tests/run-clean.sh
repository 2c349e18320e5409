#!/bin/sh
# run-clean.sh PROG [ARGS...] - runs a unit-test binary that is expected to
# fail (a mutant is preloaded): its tests may crash before their teardown,
# so every store they made (named with SPLREF_T_RUN, see common.h) is
# removed afterwards. PROG's exit status is passed on.
set -u
run="r$$x"
SPLREF_T_RUN=$run "$@"
rc=$?
rm -f /dev/shm/splref-t-"$run"* "${TMPDIR:-/tmp}"/splref-t-"$run"* /tmp/splref-t-"$run"*
exit $rc
