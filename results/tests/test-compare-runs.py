#!/usr/bin/env python3
"""Two real bench runs of every workload, compared by splsuite compare and by
Google Benchmark's compare.py (Debian's libbenchmark-tools), over all rows.

Checks: every row measured in both runs gets a verdict from splsuite
compare; the Google Benchmark "benchmarks" array and the --bmf file hold
every measured row (ops, wake, madvise, flush, numa); compare.py's
benchmarks mode, dumped with -d, reports a U test for every one of them.
Figures are never asserted (the machine is noisy): only coverage.

usage: test-compare-runs.py SPLSUITE [OLD.json NEW.json]
  With two files, compares those (e.g. runs on two commits) instead of
  making two runs. Exit 77 when compare.py or its SciPy is not installed.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

splsuite = sys.argv[1]
given = sys.argv[2:4]
COMPARE_PY = os.environ.get("COMPARE_PY", "/usr/share/benchmark/compare.py")
# compare.py runs on the system Python, where Debian's python3-scipy is
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
failures = []


def ok(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL", msg)
    return cond


if not os.path.exists(COMPARE_PY):
    print("SKIP: %s not found (apt install libbenchmark-tools; scripts/install-deps.sh does)" % COMPARE_PY)
    sys.exit(77)
if subprocess.run([PY, "-c", "import scipy.stats, numpy"], capture_output=True).returncode != 0:
    print("SKIP: compare.py needs SciPy: %s cannot import scipy.stats (apt install python3-scipy)" % PY)
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="splsuite-cmpruns-")
try:
    env = dict(os.environ, TMPDIR=tmp)
    paths = given or [os.path.join(tmp, "run%d.json" % i) for i in range(2)]
    if not given:
        for p in paths:
            r = subprocess.run([splsuite, "bench", "--quick", "-r", "3", "--impl", "ref-file", "--no-progress",
                                "--json", "-o", p, "--bmf", p + ".bmf"], capture_output=True, text=True, env=env,
                               timeout=600)
            if not ok(r.returncode == 0, "bench: exit %d %s" % (r.returncode, r.stderr[-500:])):
                sys.exit(1)
    docs = [json.load(open(p)) for p in paths]
    ok_rows = [{(r["implementation"], r["workload"], r["name"]) for r in d["results"] if r["status"] == "ok"}
               for d in docs]
    both = ok_rows[0] & ok_rows[1]
    ok({w for _, w, _ in both} == {"ops", "wake", "madvise", "flush", "numa"},
       "every workload measured in both runs: %s" % sorted({w for _, w, _ in both}))

    # splsuite compare
    r = subprocess.run([splsuite, "compare", "--json", paths[0], paths[1]], capture_output=True, text=True, timeout=120)
    ok(r.returncode in (0, 1), "splsuite compare: exit %d %s" % (r.returncode, r.stderr))
    d = json.loads(r.stdout)
    judged = {(x["implementation"], x["workload"], x["name"]) for x in d["rows"] if x["verdict"] != "not comparable"}
    ok(both == judged, "splsuite compare judged %d of %d rows; missing %s" % (len(judged & both), len(both),
                                                                          sorted(both - judged)[:5]))
    print("splsuite compare: %d rows judged: %s" % (len(judged), d["summary"]))

    # Google Benchmark entries and BMF: every measured row
    for p, doc, rows in zip(paths, docs, ok_rows):
        names = {"%s/%s/%s" % k for k in rows}
        gb = {e["run_name"] for e in doc["benchmarks"]}
        ok(gb == names, "%s: benchmarks has %d run names for %d rows: %s" % (p, len(gb), len(names),
                                                                             sorted(gb ^ names)[:4]))
        if os.path.exists(p + ".bmf"):
            bmf = json.load(open(p + ".bmf"))
            ok(set(bmf) == names, "%s.bmf: %d of %d rows" % (p, len(set(bmf) & names), len(names)))
            ok(all(("throughput" in v) == ("/flush/" in k) for k, v in bmf.items()),
               "BMF: flush rows (flushes/s) are throughput, the others latency")

    # compare.py benchmarks mode over the same two files
    dump = os.path.join(tmp, "gbench-diff.json")
    r = subprocess.run([PY, COMPARE_PY, "--no-color", "-d", dump, "benchmarks", paths[0], paths[1]],
                       capture_output=True, text=True, timeout=300)
    if ok(r.returncode == 0, "compare.py: exit %d %s" % (r.returncode, r.stderr[-1000:])):
        diff = json.load(open(dump))
        seen = {e["name"] for e in diff if e.get("run_type") == "iteration"}
        tested = {e["name"] for e in diff if e.get("utest") and e["utest"].get("have_optimal_repetitions") is not None}
        names = {"%s/%s/%s" % k for k in both}
        ok(names <= seen, "compare.py compared %d of %d rows; missing %s" % (len(names & seen), len(names),
                                                                           sorted(names - seen)[:5]))
        ok(names <= tested, "compare.py ran its U test on %d of %d rows" % (len(names & tested), len(names)))
        print("compare.py: %d rows compared, %d with a U test" % (len(names & seen), len(names & tested)))
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print("%s: %d failure(s)" % ("FAIL" if failures else "PASS", len(failures)))
sys.exit(1 if failures else 0)
