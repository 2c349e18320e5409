#!/usr/bin/env python3
"""Every --json output of splsuite validated against docs/splsuite.schema.json.

Runs each command small (conform on two rules, a 1 s torture, fsck of the
store torture kept, a quick bench, trace when eBPF works here, the perf gate's
deterministic lane when valgrind is installed, info), validates each document,
checks the envelope describes this run (commit of this build, the
implementation's real sha256, the store directory's filesystem), and proves
the check can fail: broken copies of valid documents must be rejected.

usage: test-envelope.py SPLSUITE PERFGATE SCHEMA [EXTRA.json...]
Exit 0 pass, 1 fail, 77 when python3-jsonschema is missing.
"""
import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    print("SKIP: python3-jsonschema is not installed (scripts/install-deps.sh installs it)")
    sys.exit(77)

splsuite, perfgate, schema_path = sys.argv[1:4]
extra = sys.argv[4:]
schema = json.load(open(schema_path))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
failures = []
validated = {}


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def run(args, ok=(0,), **kw):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300, **kw)
    if p.returncode not in ok:
        fail("%s exited %d: %s" % (" ".join(args), p.returncode, p.stderr[-2000:]))
        return None
    return p.stdout


def check(name, doc):
    errs = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errs[:5]:
        fail("%s: %s at /%s" % (name, e.message[:300], "/".join(map(str, e.absolute_path))))
    if not errs:
        print("ok   %-28s %s" % (name, doc["schema"]))
        validated[name] = doc
    return not errs


def parse(name, text):
    try:
        return json.loads(text)
    except (TypeError, ValueError) as e:
        fail("%s: not one JSON document: %s" % (name, e))
        return None


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


tmp = tempfile.mkdtemp(prefix="splsuite-envtest-")
try:
    # info
    d = parse("info", run([splsuite, "info", "--json"]))
    if d: check("info", d)

    # conform: stdout and -o agree on the envelope shape
    out_json = os.path.join(tmp, "conform.json")
    # a rule failing under load is conformance's business, not the envelope's: exit 1 is a valid document too
    d = parse("conform", run([splsuite, "conform", "--rules", "FMT-001,SEQ-001", "--duration", "200ms", "--json",
                              "-o", out_json], ok=(0, 1)))
    if d and d.get("summary", {}).get("exit_code"):
        print("note: conform found a failure here: %s" % [(c["id"], c["detail"]) for c in d["cases"] if c["result"] != "PASS"])
    if d and check("conform", d):
        check("conform -o", json.load(open(out_json)))
        impls = d["run"]["implementations"]
        if not impls or impls[0]["sha256"] != sha256(impls[0]["path"]):
            fail("conform: implementation sha256 is not the file's: %s" % impls[:1])
        if not any(s["path"] == "/dev/shm" and s["filesystem"] == "tmpfs" for s in d["run"]["machine"]["store_dirs"]):
            fail("conform: /dev/shm (tmpfs) missing from store_dirs: %s" % d["run"]["machine"]["store_dirs"])
        ver = run([splsuite, "--version"]) or ""
        if d["run"]["suite"]["commit"] not in ver:
            fail("conform: commit %s is not the one splsuite --version prints (%s)" % (d["run"]["suite"]["commit"], ver.strip()))
        if d["run"]["command_line"][1:3] != ["conform", "--rules"]:
            fail("conform: command_line %s" % d["run"]["command_line"])

    # torture (file backend, so the store dir is $TMPDIR), then fsck of the kept store
    env = dict(os.environ, TMPDIR=tmp)
    p = subprocess.run([splsuite, "torture", "--impl", "ref-file", "--duration", "1s", "--json", "--keep"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    d = parse("torture", p.stdout)
    if p.returncode not in (0, 1): fail("torture exited %d: %s" % (p.returncode, p.stderr[-1000:]))
    elif p.returncode: print("note: torture ended in FAILURE here: %s" % p.stderr[-300:])
    if d and check("torture", d):
        if not any(s["path"] == os.path.realpath(tmp) for s in d["run"]["machine"]["store_dirs"]):
            fail("torture: TMPDIR %s missing from store_dirs %s" % (tmp, d["run"]["machine"]["store_dirs"]))
        if d["run"]["environment"].get("TMPDIR") != tmp:
            fail("torture: environment.TMPDIR %s" % d["run"]["environment"])
    stores = [f for f in os.listdir(tmp) if f.startswith("splsuite-torture")]
    if stores:
        d = parse("fsck", run([splsuite, "fsck", "--json", os.path.join(tmp, stores[0])], ok=(0, 1)))
        if d: check("fsck", d)
    else:
        fail("torture --keep left no store in %s" % tmp)

    # bench
    bench_out = run([splsuite, "bench", "ops", "--ops", "set", "--quick", "-r", "2", "--impl", "ref",
                     "--json", "--no-progress"])
    d = parse("bench", bench_out)
    if d and check("bench", d):
        # the results commands' own documents: compare, db, history
        bj = os.path.join(tmp, "bench.json")
        open(bj, "w").write(bench_out)
        c = parse("compare", run([splsuite, "compare", "--json", bj, bj], ok=(0, 1)))
        if c: check("compare", c)
        dbf = os.path.join(tmp, "r.db")
        for args in (["import", bj], ["list"], ["rows"]):
            c = parse("db " + args[0], run([splsuite, "db", "--db", dbf, "--json"] + args))
            if c: check("db " + args[0], c)
        c = parse("history", run([splsuite, "history", "--db", dbf, "ops/set/v:64/fill:50", "--json"]))
        if c: check("history", c)

    # trace (root and eBPF): a snapshot, and the merge of two
    if os.geteuid() == 0:
        p = subprocess.run([splsuite, "trace", "madvise", "--duration", "1", "--json"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=120)
        if p.returncode == 77:
            print("note: trace skipped here: %s" % p.stderr.strip()[-200:])
        elif p.returncode != 0:
            fail("trace exited %d: %s" % (p.returncode, p.stderr[-1000:]))
        else:
            d = parse("trace", p.stdout)
            if d and check("trace", d):
                snap = os.path.join(tmp, "snap.json")
                open(snap, "w").write(p.stdout)
                p = subprocess.run([splsuite, "trace", "madvise", "--events", "--duration", "1", "--json"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
                first = p.stdout.split("\n", 1)[0]
                e = parse("trace --events", first)
                if e: check("trace --events (header line)", e)
                m = parse("trace merge", run([splsuite, "trace", "merge", snap, snap, "--json"]))
                if m and check("trace merge", m):
                    if m["run"]["id"] == d["run"]["id"] or m.get("merged_runs") != [d["run"]["id"]] * 2:
                        fail("trace merge: its own run id, and the merged ones listed: %s / %s" %
                             (m["run"]["id"], m.get("merged_runs")))
    else:
        print("note: not root: trace not exercised")

    # the perf gate (deterministic lane needs valgrind)
    if shutil.which("valgrind"):
        gate_out = os.path.join(tmp, "gate")
        p = subprocess.run([perfgate, "--lane", "deterministic", "--out", gate_out, "--quiet"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=300)
        if p.returncode not in (0, 1):
            fail("perf gate exited %d: %s" % (p.returncode, p.stderr[-1000:]))
        else:
            check("perf gate", json.load(open(os.path.join(gate_out, "perf-gate.json"))))
    else:
        print("note: valgrind missing: perf gate not exercised")

    for f in extra:
        check(os.path.basename(f), json.load(open(f)))

    # The check can fail: each broken copy must be rejected.
    def broken(name, mutate):
        base = validated.get(name)
        if not base:
            return
        d = copy.deepcopy(base)
        what = mutate(d)
        if not list(validator.iter_errors(d)):
            fail("schema accepts a %s document with %s" % (name, what))
        else:
            print("ok   rejected: %s with %s" % (name, what))

    def drop(path):
        def m(d):
            o = d
            for k in path[:-1]:
                o = o[k]
            del o[path[-1]]
            return "no " + ".".join(map(str, path))
        return m

    def setv(path, v):
        def m(d):
            o = d
            for k in path[:-1]:
                o = o[k]
            o[path[-1]] = v
            return "%s = %r" % (".".join(map(str, path)), v)
        return m

    broken("conform", drop(["run", "suite", "commit"]))
    broken("conform", drop(["run", "machine", "kernel", "cmdline"]))
    broken("conform", setv(["run", "implementations", 0, "sha256"], "xyz"))
    broken("conform", setv(["run", "date"], "yesterday"))
    broken("conform", setv(["cases", 0, "result"], "MAYBE"))
    broken("torture", setv(["verdict"], "PROBABLY"))
    broken("fsck", drop(["findings"]))
    broken("bench", drop(["results", 0, "unit"]))
    broken("info", drop(["run"]))
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print("%s: %d document(s) valid, %d failure(s)" % ("FAIL" if failures else "PASS", len(validated), len(failures)))
sys.exit(1 if failures else 0)
