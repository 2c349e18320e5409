#!/bin/sh
# Bad input gets a clear error and exit 2, never a crash or a half run.
S="$1"
fails=0
expect() { # expect CODE ARGS...: the command exits CODE and says why on stderr
    code=$1; shift
    err=$("$S" "$@" 2>&1 >/dev/null); rc=$?
    if [ "$rc" -ne "$code" ] || [ -z "$err" ]; then
        echo "FAIL: splsuite $* -> exit $rc (expected $code), stderr: $err"; fails=$((fails + 1))
    fi
}
expect 2 bench --fill 200
expect 2 bench --value-size abc
expect 2 bench frobnicate
expect 2 bench --membind 999
expect 2 bench --cpunodebind x
expect 2 bench --dirty 5000 --slots 64
expect 2 bench --sync-file-range sideways
expect 2 bench --impl /nonexistent/libnothing.so
expect 2 bench --json --csv
expect 2 plot
tmp=$(mktemp -d); echo '{"not": "bench"}' > "$tmp/x.json"; echo 'garbage{' > "$tmp/y.json"
expect 2 plot "$tmp/x.json"
expect 2 plot "$tmp/y.json"
rm -rf "$tmp"
"$S" bench --help | grep -q EXAMPLES -i || { echo "FAIL: bench --help without examples"; fails=$((fails + 1)); }
"$S" plot --help | grep -q -i examples || { echo "FAIL: plot --help without examples"; fails=$((fails + 1)); }
[ $fails -eq 0 ] && echo "PASS: bench/plot CLI errors" || exit 1
