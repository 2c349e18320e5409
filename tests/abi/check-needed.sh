#!/bin/sh
# check-needed.sh [--sanitize LIST] LIB... - each library may need only what
# the original needs at load time: the C library (and the dynamic loader).
# Optional machinery (liburing, libnuma) must be loaded when used, or not at
# all, so a drop-in never fails to start on a machine without it.
# --sanitize LIST: meson's b_sanitize of this build (none, address,
# address,undefined, thread, ...). An instrumented library legitimately
# needs the runtime of each sanitizer it was built with (gcc: libasan.so.N,
# libubsan.so.N, libtsan.so.N, liblsan.so.N; clang -shared-libsan:
# libclang_rt.<name>-<arch>.so): exactly those are allowed too, nothing else.
set -eu
READELF=${READELF:-readelf}
allowed=""
if [ "${1:-}" = "--sanitize" ]; then
    [ $# -ge 2 ] || { echo "usage: check-needed.sh [--sanitize LIST] LIB..." >&2; exit 2; }
    for s in $(echo "$2" | tr ',' ' '); do
        case $s in
            none) ;;
            address) allowed="$allowed libasan.so.* libclang_rt.asan-*.so" ;;
            undefined) allowed="$allowed libubsan.so.* libclang_rt.ubsan_standalone-*.so" ;;
            thread) allowed="$allowed libtsan.so.* libclang_rt.tsan-*.so" ;;
            leak) allowed="$allowed liblsan.so.* libclang_rt.lsan-*.so" ;;
            *) echo "check-needed.sh: unknown sanitizer '$s'" >&2; exit 2 ;;
        esac
    done
    shift 2
fi
fail=0
for lib in "$@"; do
    needed=$("$READELF" -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    bad="" san=""
    for n in $needed; do
        case $n in
            libc.so.*|ld-linux*.so.*) continue ;;
        esac
        ok=""
        for pat in $allowed; do
            # shellcheck disable=SC2254
            case $n in $pat) ok=1 ;; esac
        done
        if [ -n "$ok" ]; then san="$san $n"; else bad="$bad $n"; fi
    done
    if [ -n "$bad" ]; then
        echo "FAIL $(basename "$lib") needs at load time:$bad (all NEEDED: $needed)"
        fail=1
    else
        echo "ok   $(basename "$lib"): NEEDED $needed${san:+(sanitizer runtime:$san)}"
    fi
done
exit $fail
