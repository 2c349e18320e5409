#!/usr/bin/env python3
"""Smoke test of one `splsuite bench` workload: runs it --quick against the
reference in both backends and checks the figures exist and are sane
(finite, > 0, percentiles ordered, expected rows present). Speed is never
asserted. Usage: check_bench.py SPLSUITE WORKLOAD [PLOT]"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

fails = []


def check(cond, msg):
    if not cond:
        fails.append(msg)


def finite_pos(x):
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def main():
    splsuite, wl = sys.argv[1], sys.argv[2]
    plot = len(sys.argv) > 3 and sys.argv[3] == "plot"
    tmp = tempfile.mkdtemp(prefix="splsuite-bench-test-")
    try:
        return run(splsuite, wl, plot, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(splsuite, wl, plot, tmp):
    out = os.path.join(tmp, "r.json")
    cmd = [splsuite, "bench", wl, "--quick", "--impl", "ref", "--impl", "ref-file", "--json", "-o", out,
           "--no-progress", "--store-dir", tmp]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        print(p.stdout[-3000:], p.stderr[-3000:])
        print(f"FAIL: {' '.join(cmd)} exited {p.returncode}")
        return 1
    d = json.load(open(out))
    check(d.get("schema") == "splsuite-bench/2", "schema")
    check("kernel" in json.dumps(d.get("machine", {})), "machine block")
    check([i["label"] for i in d["implementations"]] == ["ref", "ref-file"], "implementations")
    rows = [r for r in d["results"] if r["workload"] == wl]
    check(rows, f"no {wl} rows")
    for r in rows:
        tag = f'{r["name"]} [{r["implementation"]}]'
        st = r["status"]
        check(st in ("ok", "unsupported", "not permitted", "rejected", "error"), f"{tag}: status {st!r}")
        check((r["reason"] is None) == (st == "ok") and (st == "ok" or r["reason"]), f"{tag}: {st} with reason {r['reason']!r}")
        check(st != "error", f"{tag}: {st}: {r['reason']}")
        if st != "ok":
            continue
        check(finite_pos(r["median"]), f"{tag}: median {r.get('median')}")
        check(all(finite_pos(x) for x in r["repetitions"]), f"{tag}: repetitions {r['repetitions']}")
        check(r["iterations"] > 0, f"{tag}: iterations")
        check(r["min"] <= r["median"] <= r["max"], f"{tag}: min <= median <= max")
        for key in ("latency_ns", "sync_latency_ns"):
            h = r.get(key)
            if h is None:
                continue
            pc = h["percentile"]
            check(h["count"] > 0, f"{tag}: {key} empty")
            check(pc["50.000000"] <= pc["99.000000"] <= h["max"], f"{tag}: {key} percentiles out of order")
            check(sum(h["log2"]) == h["count"], f"{tag}: {key} log2 view does not sum to count")
        tc = r["perf"]["task-clock"]
        check(not tc["supported"] or tc["value"] > 0, f"{tag}: task-clock 0")
        for hw in ("instructions", "cycles"):
            e = r["perf"][hw]
            check(e["supported"] or e.get("reason"), f"{tag}: {hw} neither counted nor explained")
        if r["implementation"] == "ref-file" and r["impl_index"] == 1:
            check(finite_pos(r.get("ratio_vs_first", 1.0)), f"{tag}: ratio")
    names = {(r["name"], r["implementation"]): r for r in rows}
    if wl == "ops":
        for op in ("set", "get", "append", "intop", "raw", "list", "enum"):
            check(any(n.startswith(op + "/") for n, _ in names), f"op {op} missing")
        check(any(n.startswith("mp/") for n, _ in names), "multi-process rows missing")
        check(any(n.startswith("miss/fill:") for n, _ in names), "get-miss rows missing")
        for (n, im), r in names.items():
            if r["status"] != "ok":
                continue
            ws = r["params"].get("working_set")
            check(isinstance(ws, int) and ws > 0 and r["params"].get("working_set_from"), f"{n} [{im}]: working set not said")
            if n.startswith("mp/onekey/"):
                ok = r["extra"].get("reader_successful_reads_per_s", [])
                check(ok and all(x > 0 for x in ok), f"{n} [{im}]: reader's successful reads/s missing")
        gb = d["benchmarks"]
        check(gb, "Google Benchmark entries missing")
        for e in gb:
            for k in ("name", "run_type", "iterations", "real_time", "cpu_time", "time_unit"):
                check(k in e, f"benchmarks entry lacks {k}")
        check(any(e["name"].startswith("ref/ops/set/") for e in gb), "benchmarks: ref/ops/set/... missing")
    if wl == "wake":
        for kind in ("bus", "eventfd", "signal"):
            for im in ("ref", "ref-file"):
                check(names.get((kind, im), {}).get("status") == "ok", f"wake {kind} [{im}] not ok")
        check(any(t["target"].startswith("event-bus wake") for t in d["targets"]), "wake target not reported")
    if wl == "flush":
        check(all(r["status"] == "unsupported" for r in rows if r["implementation"] == "ref"),
              "shm rows of flush must be unsupported")
        io = [r for r in rows if "iopoll" in r["name"] and r["implementation"] == "ref-file"]
        check(io and all(r["status"] in ("rejected", "unsupported") for r in io),
              "polled-ring fsync must be rejected, never counted (fio #1577)")
        check(names.get(("floor/v:64", "ref-file"), {}).get("status") == "ok", "pwrite+fdatasync floor missing")
        check(names.get(("msync/d:1/v:64", "ref-file"), {}).get("status") == "ok", "msync baseline missing")
        for r in rows:
            if r["status"] == "ok":
                check("sync_latency_ns" in r, f'{r["name"]}: sync latency block missing')
    if wl == "madvise":
        for mode in ("raw", "sovereign", "deferred"):
            for adv in ("normal", "random", "sequential", "willneed", "dontneed"):
                check(names.get((f"{mode}/{adv}", "ref"), {}).get("status") == "ok", f"madvise {mode}/{adv} not ok")
        r = names.get(("sovereign/willneed", "ref-file"), {})
        check("resident_after_pct" in r.get("extra", {}), "residency figures missing")
    if wl == "numa":
        nodes = d["numa"]["nodes"]
        check(len([r for r in rows if r["implementation"] == "ref"]) >= 2, "numa matrix rows missing")
        for r in rows:
            if r["status"] == "ok" and "placement" in r["extra"]:
                check(r["extra"]["placement"]["verified"], f'{r["name"]}: placement not verified')
        if len(nodes) == 1:
            check(all("one NUMA node" in r["extra"].get("note", "") for r in rows), "one-node note missing")
    if plot:
        pdir = os.path.join(tmp, "plots")
        q = subprocess.run([splsuite, "plot", out, "--outdir", pdir], capture_output=True, text=True, timeout=120)
        if q.returncode == 77:
            print("SKIP: gnuplot missing")
            return 77
        check(q.returncode == 0, f"plot exited {q.returncode}: {q.stderr[-500:]}")
        svgs = [f for f in os.listdir(pdir) if f.endswith(".svg")] if os.path.isdir(pdir) else []
        check(svgs, "no SVG drawn")
        for f in svgs:
            check(os.path.getsize(os.path.join(pdir, f)) > 1000, f"{f} is nearly empty")
    for f in fails:
        print("FAIL:", f)
    print(f"{'FAIL' if fails else 'PASS'}: bench {wl}: {len(rows)} rows checked")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
