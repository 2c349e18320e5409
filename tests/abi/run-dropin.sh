#!/bin/sh
# run-dropin.sh LIB MODE PROG - runs PROG (linked with -lsplinter) against LIB
# installed as libsplinter.so in a private directory on LD_LIBRARY_PATH: the
# drop-in swap a user of the original makes. Fails if the loader resolves
# libsplinter.so anywhere else (a stale RUNPATH, a system copy).
set -eu
lib=$1 mode=$2 prog=$3
[ -e "$lib" ] || { echo "run-dropin: no library $lib" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/splsuite-dropin.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
ln -s "$(readlink -f "$lib")" "$dir/libsplinter.so"
resolved=$(LD_LIBRARY_PATH="$dir" LD_TRACE_LOADED_OBJECTS=1 "$prog" | awk '$1 == "libsplinter.so" { print $3 }')
if [ "$resolved" != "$dir/libsplinter.so" ]; then
    echo "run-dropin: libsplinter.so resolved to '$resolved', not $dir/libsplinter.so" >&2
    exit 1
fi
echo "run-dropin: libsplinter.so -> $(readlink -f "$lib") ($mode)"
# SPLSUITE_VG: set by the valgrind test setup (ref/tests/vg-wrap.sh)
LD_LIBRARY_PATH="$dir" ${SPLSUITE_VG:-} "$prog" "$mode"
