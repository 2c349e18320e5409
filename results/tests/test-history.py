#!/usr/bin/env python3
"""Ten runs with a planted slow drift and ten without, through the whole
pipeline: splsuite bench --db (SQLite) -> splsuite history.

The implementation is the reference behind drift_shim.so, whose splinter_set
burns $SPLSUITE_TEST_SPIN loop iterations first (800 in the unchanged runs,
10 % more of them in each run of the drift):
  flat:  ten runs at the same spin                -> history finds no change;
  drift: ten runs, each about 8 % dearer          -> history finds a change
         (about +75 % from first to last; neighbours differ by 8 %, about
         the run-to-run noise of this figure on a loaded 2-core machine).
Changes under 10 % are ignored (--min-change 10): the figure's run-to-run
noise here is about 5 % (sd), so a 10 % shift of a segment mean does not
come from noise, and the planted drift moves segment means by 30 % or more.
The figure is task-clock ns/op (--figure cpu): the spin is CPU work, and CPU
time does not move with the machine's load the way wall time does. Also
checked: db import of the same files gives the same store, a second import
changes nothing, export gives back each document, history --json validates.

usage: test-history.py SPLSUITE DRIFT_SHIM.so SCHEMA [DOCS/results.md]
(with the doc: its SQL block must be what `splsuite db schema` prints)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

splsuite, shim, schema_path = sys.argv[1:4]
doc_md = sys.argv[4] if len(sys.argv) > 4 else None
ROW = "ops/set/v:64/fill:50"
failures = []


def ok(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL", msg)
    return cond


def sp(args, spin=None, check=True):
    env = dict(os.environ, TMPDIR=tmp)
    if spin is not None:
        env["SPLSUITE_TEST_SPIN"] = str(spin)
    p = subprocess.run([splsuite] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, timeout=300)
    if check and p.returncode != 0:
        ok(False, "%s: exit %d: %s" % (" ".join(args[:3]), p.returncode, p.stderr[-800:]))
    return p


def bench(spin, db, out):
    p = sp(["bench", "ops", "--ops", "set", "--quick", "-r", "7", "--time", "60ms", "--impl", shim, "--no-progress",
            "--db", db, "--json", "-o", out], spin)
    d = json.load(open(out))
    row = [r for r in d["results"] if r["name"] == "set/v:64/fill:50"][0]
    return row["extra"]["cpu_ns_per_op"], row["median"]


tmp = tempfile.mkdtemp(prefix="splsuite-histtest-")
try:
    if doc_md:
        text = open(doc_md).read()
        block = text.split("```sql\n", 1)[1].split("```", 1)[0] if "```sql\n" in text else ""
        schema_sql = subprocess.run([splsuite, "db", "schema"], capture_output=True, text=True).stdout
        ok(block == schema_sql, "docs/results.md: its schema block is not what `splsuite db schema` prints")
    # The planted cost: B spin iterations, then 10 % of B more per run. The spin
    # is most of a set's cost (about 0.3 ns an iteration here against ~45 ns for
    # the set itself), so each run costs about 8 % more than the one before.
    B = 800
    series = {}
    for name, spins in (("flat", [B] * 10), ("drift", [B + B * i // 10 for i in range(10)])):
        db = os.path.join(tmp, name + ".db")
        figs = []
        for i, s in enumerate(spins):
            figs.append(bench(s, db, os.path.join(tmp, "%s%d.json" % (name, i))))
        series[name] = figs
        print("%-5s cpu ns/op: %s" % (name, " ".join("%.1f" % c for c, _ in figs)))
        print("%-5s wall ns/op: %s" % (name, " ".join("%.1f" % w for _, w in figs)))

    def history(name, *extra):
        p = sp(["history", "--db", os.path.join(tmp, name + ".db"), ROW, "--figure", "cpu", "--min-change", "10",
                "--json"] + list(extra))
        return json.loads(p.stdout) if p.returncode == 0 else None

    flat, drift = history("flat"), history("drift")
    if flat and drift:
        ok(len(flat["points"]) == 10 and len(drift["points"]) == 10, "ten points each: %d, %d" %
           (len(flat["points"]), len(drift["points"])))
        ok(flat["change_points"] == [], "unchanged tree: no change point, got %s" % flat["change_points"])
        cps = drift["change_points"]
        ok(len(cps) >= 1 and all(c["direction"] == "worse" for c in cps),
           "planted drift: a change for the worse, got %s" % cps)
        for c in cps:
            print("drift: change at run %d: %.1f -> %.1f cpu ns/op (%+.1f %%), p = %.3f" %
                  (c["index"] + 1, c["mean_before"], c["mean_after"], c["change_pct"], c["p"]))
        try:
            import jsonschema
            v = jsonschema.Draft202012Validator(json.load(open(schema_path)))
            for d in (flat, drift):
                errs = list(v.iter_errors(d))
                ok(not errs, "history JSON against the schema: %s" % [e.message[:160] for e in errs[:3]])
        except ImportError:
            print("note: python3-jsonschema missing: history JSON not validated")
    # the text rendering names the change
    p = sp(["history", "--db", os.path.join(tmp, "drift.db"), ROW, "--figure", "cpu", "--min-change", "10"])
    ok("<< change:" in p.stdout and "worse" in p.stdout, "history table marks the change:\n" + p.stdout)
    print(p.stdout)
    p = sp(["history", "--db", os.path.join(tmp, "drift.db"), ROW, "--figure", "cpu", "--min-change", "10",
            "--fail-worse"], check=False)
    ok(p.returncode == 1, "--fail-worse on a worse change: exit %d" % p.returncode)

    # neighbouring runs of the drift, compared pairwise (reported, not asserted: figures are noisy)
    worse = 0
    for i in range(9):
        p = sp(["compare", "--json", os.path.join(tmp, "drift%d.json" % i), os.path.join(tmp, "drift%d.json" % (i + 1))],
               check=False)
        worse += json.loads(p.stdout)["summary"]["worse"]
    print("compare of the 9 neighbouring pairs of the drift: %d row(s) judged worse (wall ns/op)" % worse)

    # db import of the same files makes the same store; again: nothing new; export round-trips
    imp = os.path.join(tmp, "imported.db")
    files = [os.path.join(tmp, "flat%d.json" % i) for i in range(10)]
    p = sp(["db", "--db", imp, "import"] + files)
    ok(p.stdout.count(" stored (") == 10, "import: ten stored:\n" + p.stdout)
    p = sp(["db", "--db", imp, "import", "--json"] + files)
    d = json.loads(p.stdout)
    ok([f["status"] for f in d["files"]] == ["already stored"] * 10, "second import: %s" % [f["status"] for f in d["files"]])
    a = json.loads(sp(["db", "--db", imp, "list", "--json"]).stdout)
    b = json.loads(sp(["db", "--db", os.path.join(tmp, "flat.db"), "list", "--json"]).stdout)
    ok([r["run_id"] for r in a["runs"]] == [r["run_id"] for r in b["runs"]], "import and bench --db: the same runs")
    for f in files[:2]:
        want = json.load(open(f))
        got = json.loads(sp(["db", "--db", imp, "export", want["run"]["id"]]).stdout)
        ok(got == want, "export %s: the document as imported" % want["run"]["id"])
    # a bad file among good ones: the good are stored, exit 1, message names the file
    junk = os.path.join(tmp, "junk.json")
    open(junk, "w").write("{not json")
    p = sp(["db", "--db", os.path.join(tmp, "mixed.db"), "import", files[0], junk, files[1]], check=False)
    ok(p.returncode == 1 and "junk.json" in p.stderr and p.stdout.count(" stored (") == 2,
       "mixed import: exit %d, stdout %r, stderr %r" % (p.returncode, p.stdout, p.stderr))
    # history's errors: unknown row, ambiguous machine/impl handled with exit codes
    p = sp(["history", "--db", imp, "ops/nope"], check=False)
    ok(p.returncode == 1 and "no run" in p.stderr, "unknown row: exit %d %r" % (p.returncode, p.stderr))
    p = sp(["history", "--db", imp, "nope"], check=False)
    ok(p.returncode == 2, "bad row syntax: exit %d" % p.returncode)
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print("%s: %d failure(s)" % ("FAIL" if failures else "PASS", len(failures)))
sys.exit(1 if failures else 0)
