#!/bin/sh
# check-needed.sh LIB... - each library may need only what the original
# needs at load time: the C library (and the dynamic loader). Optional
# machinery (liburing, libnuma) must be loaded when used, or not at all, so
# a drop-in never fails to start on a machine without it.
set -eu
READELF=${READELF:-readelf}
fail=0
for lib in "$@"; do
    needed=$("$READELF" -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    bad=""
    for n in $needed; do
        case $n in
            libc.so.*|ld-linux*.so.*) ;;
            *) bad="$bad $n" ;;
        esac
    done
    if [ -n "$bad" ]; then
        echo "FAIL $(basename "$lib") needs at load time:$bad (all NEEDED: $needed)"
        fail=1
    else
        echo "ok   $(basename "$lib"): NEEDED $needed"
    fi
done
exit $fail
