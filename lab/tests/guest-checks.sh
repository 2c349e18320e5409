#!/bin/sh
# guest-checks.sh BUILD_DIR - run INSIDE a lab guest (splsuite lab --exec):
# does the suite see and use the guest's NUMA topology? Prints TAP, one case
# per check; a check whose part of the suite is not built is a TAP SKIP with
# the reason, never a pass. Exit 0 when nothing failed.
#
#   splsuite lab --nodes 2 --exec -- lab/tests/guest-checks.sh build
#
# Env (set by the lab): SPLSUITE_LAB_NODES, SPLSUITE_LAB_DISTANCES.
# GUEST_CHECKS_CONFORM overrides the conformance arguments (see docs/lab.md).
set -u
B=${1:?usage: guest-checks.sh BUILD_DIR}
S="$B/cli/splsuite"
PLACE="$B/lab/tests/numa-place"
NODES=${SPLSUITE_LAB_NODES:?not inside a splsuite lab guest (SPLSUITE_LAB_NODES unset)}
# Reduced but real: every rule, fewer worker processes and a short hammering
# time per concurrency rule, because the guest runs 15-100x slower than a host.
CONFORM_ARGS=${GUEST_CHECKS_CONFORM:-"--workers 3 --duration 300ms"}
n=0
fails=0
# Every step's full output goes to the results share: it is on the host afterwards.
LOG="${SPLSUITE_LAB_OUT:-/tmp}/guest-checks"
rm -rf "$LOG" && mkdir -p "$LOG" || exit 1

now() { cut -d' ' -f1 /proc/uptime; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# Indented output of a failed step, as TAP diagnostics.
diag() { sed 's/^/# /' "$1" | tail -n "${2:-25}"; }
# The first CPU of node $1, from sysfs (not from the suite under test).
cpu_of_node() {
    l=$(cat "/sys/devices/system/node/node$1/cpulist" 2>/dev/null)
    [ -n "$l" ] && echo "${l%%[-,]*}"
}
# Runs a step with a time bound: one hung step is a failed case, not a lost run.
bounded() { secs=$1; shift; timeout -k 5 "$secs" "$@"; }
# 0 when `splsuite $1` was built (the front door exits 77 for a part left out).
built() { "$S" "$1" --help > /dev/null 2>&1; }

echo "# guest: kernel $(uname -r), $NODES node(s), $(nproc) CPU(s), distances ${SPLSUITE_LAB_DISTANCES:-?}"

# -- topology ---------------------------------------------------------------
t0=$(now)
sys_nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
bounded 60 "$S" info --json > "$LOG/info.json" 2> "$LOG/info.err"
info_nodes=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["numa"]["nodes"]))' "$LOG/info.json" 2> /dev/null)
if [ "$info_nodes" = "$NODES" ] && [ "$sys_nodes" = "$NODES" ]; then
    ok "topology: splsuite info reports $NODES NUMA nodes (sysfs agrees)"
else
    notok "topology: splsuite info reports '${info_nodes:-?}' nodes, sysfs $sys_nodes, asked for $NODES"
    diag "$LOG/info.err"
fi

want=$(echo "${SPLSUITE_LAB_DISTANCES:-}" | tr ';' ' ')
got=""
i=0
while [ "$i" -lt "$NODES" ]; do
    row=$(tr -s ' ' ',' < "/sys/devices/system/node/node$i/distance" 2> /dev/null)
    got="$got${got:+ }$row"
    i=$((i + 1))
done
if [ -n "$want" ] && [ "$got" = "$want" ]; then
    ok "topology: SLIT distances as asked ($got)"
else
    notok "topology: SLIT distances '$got', asked for '$want'"
fi

# -- placement with the reference library alone ----------------------------
if [ ! -x "$PLACE" ]; then
    skip "placement: stores bound to each node have their pages there" "numa-place not built (no libnuma at configure time)"
elif bounded 120 "$PLACE" --all > "$LOG/place" 2>&1; then
    ok "placement: a store bound to each of the $NODES nodes has all its pages there (move_pages, get_mempolicy)"
    diag "$LOG/place"
else
    notok "placement: stores bound with splref_bind_node are not (all) on their node"
    diag "$LOG/place"
fi
if [ "$NODES" -lt 2 ]; then
    skip "placement control: an unbound store is caught off node N-1" "one node: nothing is remote"
elif [ -x "$PLACE" ]; then
    bounded 60 "$PLACE" --node "$((NODES - 1))" --no-bind > "$LOG/control" 2>&1
    rc=$?
    if [ "$rc" = 1 ]; then
        ok "placement control: without the bind, pages land off node $((NODES - 1)) and the check says FAIL (it can fail)"
    else
        notok "placement control: the unbound store passed (status $rc): the placement check proves nothing"
        diag "$LOG/control"
    fi
fi
echo "# topology + placement: $(elapsed "$t0") s"

# -- bench placement --------------------------------------------------------
HERE=$(cd "$(dirname "$0")" && pwd)
if ! built bench; then
    skip "bench ops --membind N-1 --cpunodebind 0: store pages verified there" "splsuite bench not built"
else
    t0=$(now)
    if [ "$NODES" -lt 2 ]; then
        skip "bench ops --membind N-1 --cpunodebind 0: store pages verified there" "one node"
    else
        echo "# running: bench ops --membind"
        bounded 90 env SPLSUITE_NO_PERF=1 "$S" bench ops --quick --impl ref --ops set,get --membind "$((NODES - 1))" --cpunodebind 0 --no-progress --json \
            > "$LOG/bench-ops.json" 2> "$LOG/bench-ops.err"
        rc=$?
        verdict=$(python3 "$HERE/bench-check.py" membind "$LOG/bench-ops.json" "$((NODES - 1))" 2>&1)
        if [ "$rc" = 0 ] && [ "$verdict" = ok ]; then
            ok "bench ops --membind $((NODES - 1)) --cpunodebind 0: every store's pages verified on node $((NODES - 1))"
        else
            notok "bench ops --membind $((NODES - 1)) --cpunodebind 0: status $rc, placement: $verdict"
            diag "$LOG/bench-ops.err"
        fi
    fi
    echo "# bench ops: $(elapsed "$t0") s"
fi

# -- conformance -----------------------------------------------------------
if ! built conform; then
    skip "conform: the conformance suite passes in the guest" "splsuite conform not built"
else
    t0=$(now)
    # shellcheck disable=SC2086
    echo "# running: conform $CONFORM_ARGS"
    # 43 s with the host nearly idle, 89-115 s with it at load 10: room for both
    bounded 200 "$S" conform $CONFORM_ARGS > "$LOG/conform" 2>&1
    rc=$?
    if [ "$rc" = 0 ]; then
        ok "conform $CONFORM_ARGS: passes ($(grep -ciE '\bpass\b' "$LOG/conform") PASS lines)"
    else
        notok "conform $CONFORM_ARGS: status $rc"
        grep -vE '^[A-Z]+-[0-9]+ +PASS ' "$LOG/conform" | diag - 60
    fi
    tail -n 1 "$LOG/conform" | diag -
    echo "# conform: $(elapsed "$t0") s"
fi

# -- eBPF per-node attribution ---------------------------------------------
# The farthest node from node 0 in numbering: node 1 of 2, node 3 of 4.
L=$((NODES - 1))
c0=$(cpu_of_node 0)
cL=$(cpu_of_node "$L")
if [ "$NODES" -lt 2 ] || [ -z "$cL" ]; then
    skip "trace madvise: calls on a CPU of node $L attributed to node $L" "no second node with a CPU"
    skip "trace eventfd: wakes node 0 -> node $L attributed to that pair" "no second node with a CPU"
elif ! built trace; then
    skip "trace madvise: calls on a CPU of node $L attributed to node $L" "splsuite trace not built (libbpf/bpftool/clang missing at configure time)"
    skip "trace eventfd: wakes node 0 -> node $L attributed to that pair" "splsuite trace not built"
else
    t0=$(now)
    echo "# running: trace madvise / eventfd self-tests"
    bounded 90 "$S" trace madvise --self-test 50 --cpu "$cL" > "$LOG/madv" 2>&1
    rc=$?
    if [ "$rc" = 0 ] && grep -q "attributed to node $L (CPU $cL)" "$LOG/madv"; then
        ok "trace madvise --self-test 50 --cpu $cL: exact counts, all attributed to node $L"
    elif [ "$rc" = 77 ]; then
        skip "trace madvise: calls on a CPU of node $L attributed to node $L" "$(tail -n 1 "$LOG/madv")"
    else
        notok "trace madvise --self-test 50 --cpu $cL: status $rc"
    fi
    diag "$LOG/madv" 20
    bounded 90 "$S" trace eventfd --self-test 50 --writer-cpu "$c0" --waiter-cpu "$cL" > "$LOG/evfd" 2>&1
    rc=$?
    if [ "$rc" = 0 ] && grep -q "writer node 0 -> waiter node $L (CPU $cL)" "$LOG/evfd"; then
        ok "trace eventfd --self-test 50 --writer-cpu $c0 --waiter-cpu $cL: wakes attributed to node 0 -> node $L"
    elif [ "$rc" = 77 ]; then
        skip "trace eventfd: wakes node 0 -> node $L attributed to that pair" "$(tail -n 1 "$LOG/evfd")"
    else
        notok "trace eventfd --self-test 50 --writer-cpu $c0 --waiter-cpu $cL: status $rc"
    fi
    diag "$LOG/evfd" 20
    echo "# trace: $(elapsed "$t0") s"
fi

# -- bench: the NUMA matrix (last: it has stalled TCG guests, see docs/lab.md) --
if ! built bench; then
    skip "bench numa: the matrix has $NODES x $NODES cells" "splsuite bench not built"
    skip "bench numa: every cell ran with its store verified on the asked node" "splsuite bench not built"
else
    t0=$(now)
    echo "# running: bench numa --quick --impl ref"
    # no perf counters in the guest: enabling them patches kernel text on
    # every vCPU, which stalled loaded TCG guests (docs/lab.md)
    bounded 120 env SPLSUITE_NO_PERF=1 "$S" bench numa --quick --impl ref --no-progress --json > "$LOG/bench-numa.json" 2> "$LOG/bench-numa.err"
    rc=$?
    verdict=$(python3 "$HERE/bench-check.py" matrix "$LOG/bench-numa.json" "$NODES" 2>&1)
    if [ "$verdict" = ok ]; then
        ok "bench numa: the matrix has all $NODES x $NODES (writer node, reader node) cells"
    else
        notok "bench numa: status $rc, matrix: $verdict"
    fi
    verdict=$(python3 "$HERE/bench-check.py" cells "$LOG/bench-numa.json" "$NODES" 2>&1)
    if [ "$rc" = 0 ] && [ "$verdict" = ok ]; then
        ok "bench numa: every cell ran with its store verified on the asked node"
    else
        notok "bench numa: status $rc, cells: $verdict"
        diag "$LOG/bench-numa.err"
    fi
    echo "# bench numa: $(elapsed "$t0") s"
fi

echo "1..$n"
echo "# full output of every step: $LOG"
[ "$fails" = 0 ]
