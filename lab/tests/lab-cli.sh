#!/bin/sh
# lab-cli.sh SPLSUITE - bad input to `splsuite lab` gets a clear error and
# status 2, before anything is fetched or booted. No guest needed.
set -u
S=$1
n=0
fails=0
expect() { # STATUS PATTERN DESCRIPTION ARGS...
    want=$1 pat=$2 what=$3
    shift 3
    out=$("$S" lab "$@" 2>&1 > /dev/null)
    rc=$?
    n=$((n + 1))
    if [ "$rc" = "$want" ] && echo "$out" | grep -q -- "$pat"; then
        echo "ok $n - $what"
    else
        fails=$((fails + 1))
        echo "not ok $n - $what: status $rc (want $want), message: $out"
    fi
}
expect 2 "nothing to run" "no subcommand"
expect 2 "--nodes '0'" "zero nodes" --nodes 0 -- info
expect 2 "--nodes '99'" "too many nodes" --nodes 99 -- info
expect 2 "--cpus" "zero vCPUs" --cpus 0 -- info
expect 2 "mem-per-node" "too little memory per node" --mem-per-node 1M -- info
expect 2 "local distance must be 10\|remote ones" "remote distance below 11" --distance 0-1=5 -- info
expect 2 "out of range" "distance to a node that does not exist" --nodes 2 --distance 0-7=20 -- info
expect 2 "bad distance" "malformed distance" --distance 0:1:20 -- info
expect 2 "matrix" "malformed matrix" --matrix 2,x -- info
expect 2 "accel" "unknown accelerator" --accel xen -- info
expect 2 "timeout" "malformed timeout" --timeout soon -- info
expect 2 "inside the lab" "nested lab" -- lab -- info
expect 2 "no such executable" "missing --exec program" --exec -- /nonexistent/prog
expect 2 "neither a bzImage nor" "kernel that is not a kernel" --kernel /etc/hostname -- info
expect 2 "No such file" "missing kernel file" --kernel /nonexistent/bzImage -- info
expect 2 "goes with --kernel PATH" "--modules with the Debian kernel" --modules /tmp -- info
"$S" lab --help | grep -q "EXAMPLES\|Examples" && { n=$((n + 1)); echo "ok $n - --help has examples"; } ||
    { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - --help has examples"; }
echo "1..$n"
[ "$fails" = 0 ]
