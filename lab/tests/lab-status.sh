#!/bin/sh
# lab-status.sh SPLSUITE OUTDIR - the lab hands back what happened in the
# guest: the command's exit status, its stdout and stderr, the JSON record,
# and a hard timeout that kills QEMU. One small 1-node guest plus one that is
# killed after 3 s. TAP; a skip (77) where no guest can run at all.
set -u
S=$1
OUT=$2
rm -rf "$OUT"
mkdir -p "$OUT"
n=0
fails=0
check() { # CONDITION-STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else fails=$((fails + 1)); echo "not ok $n - $2"; fi
}

"$S" lab --nodes 1 --mem-per-node 192M --timeout 200 --outdir "$OUT/a" --json \
    --exec -- /bin/sh -c 'echo "to-stdout $SPLSUITE_LAB_NODES"; echo to-stderr >&2; exit 3' \
    > "$OUT/a.json" 2> "$OUT/a.err"
rc=$?
if [ "$rc" = 77 ] && [ ! -f "$OUT/a/status" ]; then
    echo "1..0 # SKIP no guest can run here: $(grep -v '^splsuite lab: \(kernel\|accel\)' "$OUT/a.err" | tail -n 1)"
    exit 77
fi
sed 's/^/# /' "$OUT/a.err"
[ "$rc" = 3 ]
check $? "the guest command's exit status 3 is splsuite lab's (got $rc)"
grep -q '^to-stderr$' "$OUT/a.err"
check $? "the guest command's stderr is relayed"
python3 - "$OUT/a.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["runs"][0]
assert d["exit_status"] == 3 and r["exit_status"] == 3, d
assert r["stdout"].strip() == "to-stdout 1", r["stdout"]
assert r["nodes"] == 1 and r["booted"] and not r["timed_out"], r
assert r["boot_s"] > 0 and r["total_s"] >= r["boot_s"] + r["run_s"] - 0.5, r
PY
check $? "--json carries the status, the command's stdout, the topology and the times"

start=$(date +%s)
"$S" lab --nodes 2 --timeout 3 --outdir "$OUT/b" --exec -- /bin/sleep 600 > /dev/null 2> "$OUT/b.err"
rc=$?
took=$(($(date +%s) - start))
sed 's/^/# /' "$OUT/b.err"
[ "$rc" = 1 ] && grep -q "timed out" "$OUT/b.err" && [ "$took" -lt 60 ]
check $? "--timeout 3 kills QEMU and fails (status $rc after ${took}s)"
[ -f "$OUT/b/console.log" ]
check $? "the console log is kept after a timeout"
echo "1..$n"
[ "$fails" = 0 ]
