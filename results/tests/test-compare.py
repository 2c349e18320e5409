#!/usr/bin/env python3
"""splsuite compare on documents whose answer is known, then on real runs.

Synthetic bench documents with planted rows: a clear regression (9 vs 9
repetitions, separated), a clear improvement, noise (overlapping
repetitions with a large median change), a change below the threshold, 3 vs
3 repetitions (no p can reach 0.05: never judged), a rate
(flushes/s: lower is worse), units that differ, a row unsupported in NEW,
rows on one side only, too few repetitions; conform documents with PASS -> FAIL. Each verdict,
the exit status, the JSON (validated against the schema) and the Markdown
are checked. Bad input: exit 2 with a message. (Real runs: test-compare-runs.py.)

usage: test-compare.py SPLSUITE SCHEMA
"""
import json
import os
import random
import subprocess
import sys
import tempfile

splsuite, schema_path = sys.argv[1:3]
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def ok(cond, msg):
    if not cond:
        fail(msg)
    return cond


def run(args, env=None):
    return subprocess.run([splsuite] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600,
                          env=env)


def row(name, reps, unit="ns/op", lib=True, status="ok", workload="ops", impl="ref"):
    r = {"workload": workload, "name": name, "implementation": impl, "status": status, "unit": unit,
         "lower_is_better": lib, "reason": None if status == "ok" else "planted"}
    if status == "ok":
        s = sorted(reps)
        n = len(s)
        r["median"] = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
        r["repetitions"] = reps
    return r


rng = random.Random(17)


def noisy(center, spread, n):
    return [center * (1 + rng.uniform(-spread, spread)) for _ in range(n)]


old = {"schema": "splsuite-bench/2", "parameters": {"repetitions": 9}, "results": [
    row("regress", noisy(100, 0.02, 9)),
    row("improve", noisy(100, 0.02, 9)),
    row("noise", [50, 200, 60, 180, 70, 190, 55, 210, 65]),
    row("small", noisy(100, 0.005, 9)),
    row("few", [100, 101, 102]),
    row("few-overlap", [100, 130, 101]),
    row("rate", noisy(1000, 0.02, 9), unit="flushes/s", lib=False, workload="flush"),
    row("units", noisy(100, 0.02, 9)),
    row("gone-bad", noisy(100, 0.02, 9)),
    row("only-old", noisy(100, 0.02, 9)),
]}
new = {"schema": "splsuite-bench/2", "parameters": {"repetitions": 5}, "results": [
    row("regress", noisy(130, 0.02, 9)),
    row("improve", noisy(70, 0.02, 9)),
    row("noise", [55, 230, 62, 170, 400, 200, 58, 220, 60]),
    row("small", noisy(102, 0.005, 9)),
    row("few", [120, 121, 122]),
    row("few-overlap", [125, 99, 126]),
    row("rate", noisy(700, 0.02, 9), unit="flushes/s", lib=False, workload="flush"),
    row("units", noisy(100, 0.02, 9), unit="ns"),
    row("gone-bad", None, status="unsupported"),
    row("only-new", noisy(100, 0.02, 9)),
]}
want = {"ops/regress": "worse", "ops/improve": "better", "ops/noise": "no change", "ops/small": "no change",
        "ops/few": "no change", "ops/few-overlap": "no change", "flush/rate": "worse", "ops/units": "not comparable",
        "ops/gone-bad": "not comparable", "ops/only-old": "not comparable", "ops/only-new": "not comparable"}

tmp = tempfile.mkdtemp(prefix="splsuite-cmptest-")
try:
    pa, pb = os.path.join(tmp, "old.json"), os.path.join(tmp, "new.json")
    json.dump(old, open(pa, "w"))
    json.dump(new, open(pb, "w"))
    p = run(["compare", "--json", pa, pb])
    ok(p.returncode == 1, "worse rows: exit 1, got %d (%s)" % (p.returncode, p.stderr))
    d = json.loads(p.stdout)
    got = {r["workload"] + "/" + r["name"]: r for r in d["rows"]}
    for k, v in want.items():
        if ok(k in got, "row %s missing" % k):
            ok(got[k]["verdict"] == v, "%s: %s (%s), want %s" % (k, got[k]["verdict"], got[k].get("reason"), v))
    ok("3 vs 3 repetitions" in got["ops/few"].get("reason", "") and "reached" in got["ops/few"]["reason"],
       "few: reason names the small sample: %s" % got["ops/few"])
    ok(any("2 rows with too few repetitions" in w for w in d["warnings"]), "few: warned: %s" % d["warnings"])
    ok("units differ" in got["ops/units"].get("reason", ""), "units: reason %s" % got["ops/units"])
    ok("unsupported" in got["ops/gone-bad"].get("reason", ""), "gone-bad: reason %s" % got["ops/gone-bad"])
    ok(abs(got["flush/rate"]["change_pct"] + 30) < 5, "rate change %s" % got["flush/rate"]["change_pct"])
    ok(got["ops/regress"]["p"] < 0.001, "regress p %s" % got["ops/regress"]["p"])
    ok(d["summary"] == {"better": 1, "worse": 2, "no_change": 4, "not_comparable": 4}, "summary %s" % d["summary"])
    ok(any("OLD and NEW have no run envelope" in w for w in d["warnings"]), "no envelope noted: %s" % d["warnings"])
    ok(any("repetitions 9 -> 5" in w for w in d["warnings"]), "parameters noted: %s" % d["warnings"])
    try:
        import jsonschema
        schema = json.load(open(schema_path))
        errs = list(jsonschema.Draft202012Validator(schema).iter_errors(d))
        ok(not errs, "compare JSON against the schema: %s" % [e.message[:200] for e in errs[:3]])
    except ImportError:
        print("note: python3-jsonschema missing: compare JSON not validated")

    # a higher threshold turns the 30 % changes into no change: exit 0 and better stays out
    p = run(["compare", "--threshold", "50", "--json", pa, pb])
    ok(p.returncode == 0, "threshold 50: exit 0, got %d" % p.returncode)
    # Markdown: worse rows in the visible table, the rest folded
    p = run(["compare", "--markdown", pa, pb])
    ok(p.returncode == 1 and p.stdout.startswith("### splsuite compare: **worse**"), "markdown head: %s" % p.stdout[:80])
    vis = p.stdout.split("<details>")[0]
    ok("`ops/regress`" in vis and "`flush/rate`" in vis and "`ops/noise`" not in vis, "markdown visible rows")
    ok("<details><summary>4 rows: not comparable</summary>" in p.stdout, "markdown folds not comparable rows")
    # text table
    p = run(["compare", pa, pb])
    ok("2 worse, 1 better, 4 no change, 4 not comparable" in p.stdout, "table summary line: %s" % p.stdout[-200:])

    # conform documents: PASS -> FAIL is worse, SKIP not comparable
    def conform(results):
        return {"schema": "splsuite-conform/1", "suite": "conform", "cases": [
            {"id": k, "family": k[:3], "title": "t", "severity": "major", "result": v, "seconds": 0.1, "detail": "d " + k}
            for k, v in results.items()]}
    ca, cb = os.path.join(tmp, "c1.json"), os.path.join(tmp, "c2.json")
    json.dump(conform({"SEQ-001": "PASS", "SEQ-002": "FAIL", "SEQ-003": "PASS", "SEQ-004": "SKIP"}), open(ca, "w"))
    json.dump(conform({"SEQ-001": "FAIL", "SEQ-002": "PASS", "SEQ-003": "PASS", "SEQ-004": "PASS"}), open(cb, "w"))
    p = run(["compare", "--json", ca, cb])
    d = json.loads(p.stdout)
    v = {r["name"]: r["verdict"] for r in d["rows"]}
    ok(p.returncode == 1 and v == {"SEQ-001": "worse", "SEQ-002": "better", "SEQ-003": "no change",
                                    "SEQ-004": "not comparable"}, "conform verdicts %s, exit %d" % (v, p.returncode))

    # bad input: exit 2 and a message naming the file; usage errors exit 2
    junk = os.path.join(tmp, "junk.json")
    open(junk, "w").write('{"results": [')
    for args, what in [([pa, junk], "truncated JSON"), ([pa, os.path.join(tmp, "nope.json")], "No such file"),
                       ([pa, schema_path], "has no rows"), ([pa], "needs OLD.json and NEW.json"),
                       (["--threshold", "x", pa, pb], "--threshold"), (["--json", "--markdown", pa, pb], "choose one")]:
        p = run(["compare"] + args)
        ok(p.returncode == 2 and what in p.stderr, "compare %s: exit %d, stderr %r" % (args, p.returncode, p.stderr[-200:]))
    # nothing in common: exit 1, said so
    other = os.path.join(tmp, "other.json")
    json.dump({"schema": "splsuite-bench/2", "results": [row("zzz", [1.0, 2.0])]}, open(other, "w"))
    p = run(["compare", pa, other])
    ok(p.returncode == 1 and "no row could be compared" in p.stderr, "disjoint: exit %d %r" % (p.returncode, p.stderr))

finally:
    subprocess.run(["rm", "-rf", tmp])

print("%s: %d failure(s)" % ("FAIL" if failures else "PASS", len(failures)))
sys.exit(1 if failures else 0)
