#!/usr/bin/env python3
"""splsuite plot's results figures: a row's history from the store (with a
planted step, so a change point is drawn) and two runs against each other,
from documents whose answer is known. Checks the images are real PNG/SVG,
the .dat files hold the series and the change, and the errors exit as
documented. Exit 77 when gnuplot is not installed.

usage: test-plot.py SPLSUITE
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

splsuite = sys.argv[1]
failures = []


def ok(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL", msg)
    return cond


if not shutil.which("gnuplot"):
    print("SKIP: gnuplot is not installed (apt install gnuplot-nox)")
    sys.exit(77)


def doc(i, med, reps):
    return {"schema": "splsuite-bench/2", "date": "2026-01-%02dT10:00:00.000Z" % (i + 1), "results": [
        {"workload": "ops", "name": "set/v:64/fill:50", "implementation": "ref", "status": "ok", "reason": None,
         "unit": "ns/op", "lower_is_better": True, "median": med, "repetitions": reps},
        {"workload": "wake", "name": "bus", "implementation": "ref", "status": "ok", "reason": None,
         "unit": "ns", "lower_is_better": True, "median": 1000.0, "repetitions": [990.0, 1000.0, 1010.0, 1005.0, 995.0]}]}


tmp = tempfile.mkdtemp(prefix="splsuite-plottest-")
try:
    db = os.path.join(tmp, "r.db")
    files = []
    for i in range(12):
        m = 100.0 + (i % 3) + (40 if i >= 6 else 0)   # a step of +40 % at run 7
        f = os.path.join(tmp, "run%d.json" % i)
        json.dump(doc(i, m, [m - 1, m, m + 1, m + 0.5, m - 0.5]), open(f, "w"))
        files.append(f)
    p = subprocess.run([splsuite, "db", "--db", db, "import"] + files, capture_output=True, text=True)
    ok(p.returncode == 0, "import: %s" % p.stderr)
    out = os.path.join(tmp, "fig")
    for fmt, magic in (("png", b"\x89PNG"), ("svg", b"<?xml")):
        p = subprocess.run([splsuite, "plot", "--history", "ops/set/v:64/fill:50", "--db", db, "--outdir", out, "--format", fmt],
                           capture_output=True, text=True)
        img = os.path.join(out, "history-ops-set-v64-fill50." + fmt)
        ok(p.returncode == 0 and p.stdout.strip() == img, "plot --history %s: exit %d %s %s" % (fmt, p.returncode,
                                                                                              p.stdout, p.stderr))
        ok(os.path.exists(img) and open(img, "rb").read(5).startswith(magic), "%s is a %s image" % (img, fmt))
    dat = open(os.path.join(out, "history-ops-set-v64-fill50.dat")).read().splitlines()
    ok(len([l for l in dat if not l.startswith("#")]) == 12, "history .dat has the 12 runs")
    gp = open(os.path.join(out, "history-ops-set-v64-fill50.gp")).read()
    ok("set arrow from 6.5" in gp and "+39" in gp, "the change point before run 7 is drawn with its change:\n" + gp)
    seg = open(os.path.join(out, "history-ops-set-v64-fill50-segments.dat")).read().split("\n\n")
    ok(len([s for s in seg if s.strip()]) == 2, "two segment means")

    p = subprocess.run([splsuite, "plot", files[0], files[11], "--outdir", out, "--format", "png"], capture_output=True, text=True)
    img = os.path.join(out, "compare.png")
    ok(p.returncode == 0 and os.path.exists(img) and open(img, "rb").read(4) == b"\x89PNG",
       "plot OLD NEW: exit %d %s" % (p.returncode, p.stderr))
    rows = [l for l in open(os.path.join(out, "compare.dat")).read().splitlines() if not l.startswith("#")]
    ok(len(rows) == 2 and any("ops/set" in r and " 12597547 " in r for r in rows),
       "compare.dat: two rows, ops/set red (worse): %s" % rows)

    for args, code, what in ((["--history", "ops/nope", "--db", db, "--outdir", out], 1, "no run"),
                             (["--history", "x", "--db", db, "--outdir", out], 2, "WORKLOAD/CASE"),
                             (["--impl", "ref", files[0]], 2, "go with --history"),
                             ([files[0], os.path.join(tmp, "missing.json"), "--outdir", out], 2, "missing.json")):
        p = subprocess.run([splsuite, "plot"] + args, capture_output=True, text=True)
        ok(p.returncode == code and what in p.stderr, "plot %s: exit %d (want %d), %r" % (args, p.returncode, code,
                                                                                         p.stderr[-200:]))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
print("%s: %d failure(s)" % ("FAIL" if failures else "PASS", len(failures)))
sys.exit(1 if failures else 0)
