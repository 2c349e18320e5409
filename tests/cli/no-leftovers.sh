#!/bin/sh
# no-leftovers.sh COMMAND [ARGS...] - runs COMMAND with a store prefix and a
# store directory of its own, passes its exit status through, and fails
# (exit 1) when any store it made is still in /dev/shm or the store
# directory afterwards: whatever the run did, a crashed rule child included.
set -u
T=$(mktemp -d "${TMPDIR:-/tmp}/splsuite-leftovers.XXXXXX") || exit 99
export SPLSUITE_STORE_PREFIX="splsuite-lo$$" TMPDIR="$T"
rc=0
"$@" || rc=$?
left=$( (ls /dev/shm; ls -A "$T") 2>/dev/null | grep "^$SPLSUITE_STORE_PREFIX" || true)
junk=$(ls -A "$T")
for f in $left; do rm -rf "/dev/shm/$f"; done
rm -rf "$T"
if [ -n "$left" ] || [ -n "$junk" ]; then
    echo "FAIL: left behind: ${left:-} ${junk:+(in the store directory: $junk)}" >&2
    exit 1
fi
exit "$rc"
