#!/usr/bin/env python3
"""Kernel CI fit: the LAVA test definition's steps run with stand-ins for
LAVA's lava-test-case/-set/-reference (which record their calls), and the
KCIDB export they produce, validated against the KCIDB v4.3 rules for the
objects it uses (ids ORIGIN:..., required fields, statuses, test paths, no
nulls, no unknown fields). Then: a rule that fails (mut:torn_write) is a
FAIL test with its counterexample and makes the summary FAIL; bad input
exits as documented.

usage: test-kcidb.py SPLSUITE SOURCE_ROOT
Exit 77 when python3-yaml or python3-jsonschema is missing.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

try:
    import jsonschema
    import yaml
except ImportError as e:
    print("SKIP: %s (scripts/install-deps.sh installs python3-yaml and python3-jsonschema)" % e)
    sys.exit(77)

splsuite, src = os.path.abspath(sys.argv[1]), sys.argv[2]
failures = []


def ok(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL", msg)
    return cond


ID = {"type": "string", "pattern": "^[a-z0-9_]+:.*$"}
S = {"type": "string"}
RES = {"type": "array", "items": {"type": "object", "required": ["name", "url"],
                                  "properties": {"name": S, "url": S}, "additionalProperties": False}}
KCIDB_43 = {
    "type": "object", "required": ["version"], "additionalProperties": False,
    "properties": {
        "version": {"type": "object", "required": ["major"], "additionalProperties": False,
                    "properties": {"major": {"const": 4}, "minor": {"type": "integer", "minimum": 0, "maximum": 3}}},
        "checkouts": {"type": "array", "items": {
            "type": "object", "required": ["id", "origin"], "additionalProperties": False,
            "properties": {"id": ID, "origin": {"type": "string", "pattern": "^[a-z0-9_]+$"}, "tree_name": S,
                           "git_repository_url": {"type": "string", "pattern": "^(https|git)://.*$"},
                           "git_commit_hash": {"type": "string", "pattern": "^[0-9a-f]{40}$"}, "git_commit_name": S,
                           "git_repository_branch": S, "patchset_files": RES, "patchset_hash": S, "message_id": S,
                           "comment": S, "start_time": S, "contacts": {"type": "array", "items": S}, "log_url": S,
                           "log_excerpt": {"type": "string", "maxLength": 16384}, "valid": {"type": "boolean"},
                           "misc": {"type": "object"}}}},
        "builds": {"type": "array", "items": {
            "type": "object", "required": ["checkout_id", "id", "origin"], "additionalProperties": False,
            "properties": {"checkout_id": ID, "id": ID, "origin": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                           "comment": S, "start_time": S, "duration": {"type": "number"},
                           "architecture": {"type": "string", "pattern": "^[a-z0-9_]*$"}, "command": S, "compiler": S,
                           "input_files": RES, "output_files": RES, "config_name": S, "config_url": S, "log_url": S,
                           "log_excerpt": {"type": "string", "maxLength": 16384}, "valid": {"type": "boolean"},
                           "misc": {"type": "object"}}}},
        "tests": {"type": "array", "items": {
            "type": "object", "required": ["build_id", "id", "origin"], "additionalProperties": False,
            "properties": {"build_id": ID, "id": ID, "origin": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                           "environment": {"type": "object", "additionalProperties": False,
                                           "properties": {"comment": S, "misc": {"type": "object"}}},
                           "path": {"type": "string", "pattern": "^[.a-zA-Z0-9_-]*$"}, "comment": S, "log_url": S,
                           "log_excerpt": {"type": "string", "maxLength": 16384},
                           "status": {"enum": ["FAIL", "ERROR", "MISS", "PASS", "DONE", "SKIP"]},
                           "waived": {"type": "boolean"}, "start_time": S, "duration": {"type": "number"},
                           "output_files": RES, "misc": {"type": "object"}}}},
    },
}
validator = jsonschema.Draft202012Validator(KCIDB_43)


def no_nulls(o, where="$"):
    if o is None:
        return [where]
    if isinstance(o, dict):
        return [x for k, v in o.items() for x in no_nulls(v, where + "." + k)]
    if isinstance(o, list):
        return [x for i, v in enumerate(o) for x in no_nulls(v, "%s[%d]" % (where, i))]
    return []


def kcidb_valid(doc, what):
    errs = list(validator.iter_errors(doc))
    ok(not errs, "%s: not KCIDB v4.3: %s" % (what, [e.message[:200] for e in errs[:3]]))
    # KCIDB forbids nulls anywhere outside misc; inside misc they are the envelope's own data
    nulls = [n for n in no_nulls({k: v for k, v in doc.items()}) if ".misc" not in n]
    ok(not nulls, "%s: nulls at %s" % (what, nulls[:5]))
    builds = {b["id"] for b in doc.get("builds", [])}
    checkouts = {c["id"] for c in doc.get("checkouts", [])}
    ok(all(b["checkout_id"] in checkouts for b in doc.get("builds", [])), "%s: a build without its checkout" % what)
    ok(all(t["build_id"] in builds for t in doc.get("tests", [])), "%s: a test without its build" % what)
    ok(len({t["id"] for t in doc["tests"]}) == len(doc["tests"]), "%s: test ids not unique" % what)


tmp = tempfile.mkdtemp(prefix="splsuite-kcidbtest-")
try:
    # the LAVA definition
    lava = yaml.safe_load(open(os.path.join(src, "ci", "lava", "splinter-suite.yaml")))
    ok(lava["metadata"]["format"] == "Lava-Test Test Definition 1.0", "LAVA metadata.format")
    ok({"name", "description", "os", "scope"} <= set(lava["metadata"]), "LAVA metadata fields")
    ok(lava["run"]["steps"] == ["./ci/lava/run.sh"], "LAVA run steps: %s" % lava["run"]["steps"])
    # LAVA's helpers, recording their calls
    bindir = os.path.join(tmp, "bin")
    os.mkdir(bindir)
    calls = os.path.join(tmp, "calls")
    for tool in ("lava-test-case", "lava-test-set", "lava-test-reference"):
        p = os.path.join(bindir, tool)
        open(p, "w").write('#!/bin/sh\nprintf "%%s" "%s" >> "%s"; for a in "$@"; do printf " %%s" "$a" >> "%s"; done; echo >> "%s"\n'
                           % (tool, calls, calls, calls))
        os.chmod(p, 0o755)
    os.symlink(splsuite, os.path.join(bindir, "splsuite"))  # "installed": run.sh uses it
    out = os.path.join(tmp, "results")
    env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"], TMPDIR=tmp, OUTPUT=out)
    env.update({k: str(v) for k, v in lava["params"].items() if k not in ("OUTPUT",)})
    env.update(CONFORM_ARGS="--rules FMT-*,SEQ-001,SIG-001 --duration 200ms", TORTURE_DURATION="2s",
               RESULTS_URL="https://ci.example.org/job/1/")
    p = subprocess.run(["sh", "-c", lava["run"]["steps"][0]], cwd=src, env=env, capture_output=True, text=True,
                       timeout=300)
    ok(p.returncode == 0, "LAVA steps: exit %d %s" % (p.returncode, p.stderr[-500:]))
    lines = open(calls).read().splitlines() if os.path.exists(calls) else []
    cases = [l.split() for l in lines if l.startswith("lava-test-case ")]
    conform = json.load(open(os.path.join(out, "conform.json")))
    want = {c["id"]: {"PASS": "pass", "FAIL": "fail", "SKIP": "skip"}.get(c["result"], "unknown")
            for c in conform["cases"]}
    got = {c[1]: c[c.index("--result") + 1] for c in cases}
    ok(all(got.get(k) == v for k, v in want.items()) and len(want) >= 5,
       "one LAVA case per rule, result as in conform.json: want %s got %s" % (want, got))
    ok(got.get("torture") == "pass" and got.get("kcidb-export") == "pass" and got.get("conform-exit") == "pass",
       "torture, kcidb-export, conform-exit cases: %s" % {k: got.get(k) for k in ("torture", "kcidb-export", "conform-exit")})
    ok(set(got.values()) <= {"pass", "fail", "skip", "unknown"}, "LAVA results: %s" % set(got.values()))
    ok("lava-test-set start conform" in lines and "lava-test-set stop torture" in lines, "LAVA test sets")
    ok(any(l.startswith("lava-test-reference splinter-results") for l in lines), "lava-test-reference for RESULTS_URL")
    # the KCIDB export of that run
    k = json.load(open(os.path.join(out, "kcidb.json")))
    kcidb_valid(k, "LAVA run's kcidb.json")
    paths = {t["path"]: t for t in k["tests"]}
    ok("splinter.torture" in paths and paths["splinter.torture"]["status"] == "PASS", "torture test PASS")
    ok(paths.get("splinter.conform", {}).get("status") == "PASS", "conform summary PASS: %s" % paths.get("splinter.conform"))
    ok(all("splinter.conform." + r in paths for r in want), "a KCIDB test per rule")
    b = k["builds"][0]
    ok(b["architecture"] == os.uname().machine.replace("-", "_") and os.uname().release in b["id"],
       "build: the kernel this ran on: %s" % b)
    ok(len(k["builds"]) == 1 and len(k["checkouts"]) == 1, "one kernel: one checkout, one build")

    # a failing rule: FAIL with its counterexample, and the summary FAIL
    mj = os.path.join(tmp, "mut.json")
    subprocess.run([splsuite, "conform", "--impl", "mut:torn_write", "--rules", "SEQ-001", "--duration", "300ms",
                    "-o", mj], capture_output=True, env=env, timeout=120)
    commit = "0123456789abcdef0123456789abcdef01234567"
    p = subprocess.run([splsuite, "kcidb", "--origin", "mylab", "--kernel-commit", commit, "--kernel-repo",
                        "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git", "--tree", "mainline", mj],
                       capture_output=True, text=True)
    ok(p.returncode == 0, "kcidb of the mutant's run: exit %d %s" % (p.returncode, p.stderr))
    k = json.loads(p.stdout)
    kcidb_valid(k, "mutant kcidb")
    t = {x["path"]: x for x in k["tests"]}
    ok(t["splinter.conform.SEQ-001"]["status"] == "FAIL" and t["splinter.conform.SEQ-001"].get("log_excerpt"),
       "SEQ-001 FAIL with its counterexample: %s" % t["splinter.conform.SEQ-001"])
    ok(t["splinter.conform"]["status"] == "FAIL", "summary FAIL")
    ok(k["checkouts"][0]["git_commit_hash"] == commit and k["checkouts"][0]["id"] == "mylab:" + commit
       and all(x["id"].startswith("mylab:") for x in k["tests"]), "origin and kernel commit used")
    ok(k["tests"][0]["misc"]["implementations"][0]["label"] == "mut:torn_write", "the implementation in misc")

    # bad input
    bj = os.path.join(tmp, "bench.json")
    subprocess.run([splsuite, "bench", "ops", "--ops", "set", "--quick", "--impl", "ref", "--no-progress", "--json",
                    "-o", bj], capture_output=True, env=env)
    for args, code, what in (([bj], 1, "only conform and torture"), (["--origin", "Bad-Origin", mj], 2, "--origin"),
                             (["--kernel-commit", "abc", mj], 2, "--kernel-commit"), ([], 2, "which results"),
                             ([os.path.join(tmp, "none.json")], 1, "none.json")):
        p = subprocess.run([splsuite, "kcidb"] + args, capture_output=True, text=True)
        ok(p.returncode == code and what in p.stderr, "kcidb %s: exit %d (want %d) %r" % (args, p.returncode, code,
                                                                                       p.stderr[-200:]))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
print("%s: %d failure(s)" % ("FAIL" if failures else "PASS", len(failures)))
sys.exit(1 if failures else 0)
