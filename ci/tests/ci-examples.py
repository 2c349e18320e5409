#!/usr/bin/env python3
"""Runs the example CI jobs of docs/ci.md, so the documented pipelines are
known to work.

Each ```yaml block after a `<!-- ci-example: github|gitlab PATH -->` marker
is parsed (python3-yaml). In a scratch clone of the repository (the working
tree's tracked files over the real history, the build directory linked in so
nothing is built twice), every GitHub job's `run:` steps and every GitLab
job's `before_script:` + `script:` lines run in order as the hosting service
would run them (bash -e; GitLab's lines in one shell), with its variables set
the way a push build sets them. What only the service can do is skipped and
listed: `uses:` actions; `apt-get install` of packages already installed
(checked with dpkg-query instead); $HOME is a scratch directory; a job
whose commands are exactly those of one already run (the conformance job
of both files) is not run twice. After each
job the artifacts it declares must exist: JUnit XML that parses with test
cases, a compare.md that is a splsuite compare comment.

usage: ci-examples.py SOURCE_ROOT BUILD_DIR [github|gitlab ...]
Exit 0 pass, 1 fail, 77 python3-yaml or git missing.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

try:
    import yaml
except ImportError:
    print("SKIP: python3-yaml is not installed (scripts/install-deps.sh installs it)")
    sys.exit(77)
if not shutil.which("git"):
    print("SKIP: git is not installed")
    sys.exit(77)

src, build = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
only = set(sys.argv[3:])
failures = []


def ok(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL", msg)
    return cond


text = open(os.path.join(src, "docs", "ci.md")).read()
examples = re.findall(r"<!-- ci-example: (\w+) (\S+) -->\s*```yaml\n(.*?)```", text, re.S)
ok({k for k, _, _ in examples} >= {"github", "gitlab"}, "docs/ci.md: a github and a gitlab example (found %s)" %
   [k for k, _, _ in examples])

tmp = tempfile.mkdtemp(prefix="splsuite-ciex-")
repo = os.path.join(tmp, "repo")
home = os.path.join(tmp, "home")
os.mkdir(home)
t0 = time.time()
try:
    subprocess.run(["git", "clone", "--quiet", "--shared", src, repo], check=True)
    # the working tree's tracked files over the clone, so uncommitted edits are what runs
    files = subprocess.run(["git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           capture_output=True, check=True).stdout
    subprocess.run("tar --null -T - -cf - | tar -xf - -C %s" % repo, shell=True, input=files, cwd=src, check=True)
    os.symlink(build, os.path.join(repo, "build"))
    head = subprocess.run(["git", "-C", repo, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    parent = subprocess.run(["git", "-C", repo, "rev-parse", "--verify", "-q", "HEAD~1"], capture_output=True,
                            text=True).stdout.strip() or head
    base_env = dict(os.environ, HOME=home, CI="true")

    def apt_installed(line):
        """`apt-get install ... pkgs`: True when every package is already installed."""
        pk = [w for w in line.split()[2:] if not w.startswith("-") and w != "install"]
        for p in pk:
            st = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True).stdout
            if "ok installed" not in st:
                return False
        return True

    def filter_script(script, where):
        out = []
        for l in script.split("\n"):
            if l.strip().startswith("apt-get install"):
                if apt_installed(l.strip()):
                    print("  skipped (%s): %s  [packages already installed]" % (where, l.strip()))
                    continue
            out.append(l)
        return "\n".join(out)

    ran = {}  # script text -> exit status: the same commands in both files run once

    def run(script, env, where):
        script = filter_script(script, where)
        key = script.strip()
        if key in ran:
            print("  %s: the same commands as %s: not run twice (exit %d)" % (where, ran[key][1], ran[key][0]))
            return ran[key][0]
        t = time.time()
        p = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=repo, env=env,
                           capture_output=True, text=True, timeout=900)
        print("  %s: exit %d (%.0f s)" % (where, p.returncode, time.time() - t))
        ran[key] = (p.returncode, where)
        if p.returncode != 0:
            print(p.stdout[-3000:])
            print(p.stderr[-3000:])
            rep = os.path.join(repo, "build", "reports", "conform.json")
            if "conform" in script and os.path.exists(rep):  # name what the conformance suite found
                import json
                for c in json.load(open(rep)).get("cases", []):
                    if c.get("result") in ("FAIL", "ERROR"):
                        print("  conformance %s %s: %s" % (c["id"], c["result"], c.get("detail")))
        return p.returncode

    def gh_expr(s):
        ctx = {"github.event.pull_request.base.sha": "", "github.event.before": parent, "github.sha": head,
               "github.event_name": "push", "github.ref": "refs/heads/main"}

        def ev(m):
            for alt in m.group(1).split("||"):
                v = ctx.get(alt.strip(), "")
                if v:
                    return v
            return ""
        return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", ev, str(s))

    def regression_reported(rc):
        """A perf job that exits 1 after writing its reports has done its job: it
        reported a regression (real, or this runner's noise: on a loaded 2-core
        machine the timing lane and a base-vs-head bench can flag noise). The
        example is broken only when it exits otherwise or writes no report."""
        if rc != 1:
            return False
        rep = os.path.join(repo, "perf-report")
        cm, gate = os.path.join(rep, "compare.md"), os.path.join(rep, "perf-gate.md")
        said = (os.path.exists(cm) and open(cm).read().startswith("### splsuite compare: **worse**")) or \
               (os.path.exists(gate) and "**REGRESSION**" in open(gate).read())
        if said:
            print("  the job reported a regression and exited 1, as it should on one (a real change or "
                  "this machine's noise): the example works")
        return said

    def check_artifacts(paths, junit, job):
        for pth in paths:
            ok(os.path.exists(os.path.join(repo, pth)), "%s: declared artifact %s missing" % (job, pth))
            cm = os.path.join(repo, pth, "compare.md")
            if os.path.isdir(os.path.join(repo, pth)) and "perf" in pth:
                ok(os.path.exists(cm) and open(cm).read().startswith("### splsuite compare"),
                   "%s: %s is not a splsuite compare comment" % (job, cm))
                gate = os.path.join(repo, pth, "perf-gate.md")
                ok(os.path.exists(gate) and os.path.exists(cm) and "Performance gate" in open(cm).read(),
                   "%s: the perf gate's table is not in compare.md" % job)
        for j in junit:
            f = os.path.join(repo, j)
            if ok(os.path.exists(f), "%s: JUnit report %s missing" % (job, j)):
                root = ET.parse(f).getroot()
                ok(len(root.findall(".//testcase")) > 0, "%s: %s has no test case" % (job, j))

    for kind, path, body in examples:
        if only and kind not in only:
            continue
        doc = yaml.safe_load(body)
        print("%s (%s)" % (kind, path))
        if kind == "github":
            ok("jobs" in doc and doc.get("on") or doc.get(True), "github: a workflow with jobs and triggers")
            for job, spec in doc["jobs"].items():
                env = dict(base_env, GITHUB_ACTIONS="true", GITHUB_WORKSPACE=repo, GITHUB_SHA=head,
                           GITHUB_EVENT_NAME="push")
                env.update({k: gh_expr(v) for k, v in (spec.get("env") or {}).items()})
                paths, junit = [], []
                for n, step in enumerate(spec.get("steps", [])):
                    name = step.get("name", step.get("uses", "step %d" % n))
                    if "uses" in step:
                        print("  skipped (%s): uses %s" % (job, step["uses"]))
                        w = step.get("with") or {}
                        if "upload-artifact" in step["uses"] and "path" in w:
                            paths.append(w["path"])
                        if "junit" in step["uses"] and "report_paths" in w:
                            junit.append(w["report_paths"])
                        continue
                    senv = dict(env)
                    senv.update({k: gh_expr(v) for k, v in (step.get("env") or {}).items()})
                    rc = run(gh_expr(step["run"]), senv, "%s / %s" % (job, name))
                    if not ok(rc == 0 or regression_reported(rc), "github %s: step '%s' exited %d" % (job, name, rc)):
                        break
                check_artifacts(paths, junit, "github " + job)
        elif kind == "gitlab":
            for job, spec in doc.items():
                if not isinstance(spec, dict) or "script" not in spec:
                    continue
                env = dict(base_env, GITLAB_CI="true", CI_COMMIT_SHA=head, CI_COMMIT_BEFORE_SHA=parent,
                           CI_PROJECT_DIR=repo, CI_PIPELINE_SOURCE="push")
                env.update({k: str(v) for k, v in (spec.get("variables") or {}).items()})
                lines = list(spec.get("before_script") or []) + list(spec["script"])
                rc = run("\n".join(lines), env, "%s" % job)
                ok(rc == 0 or regression_reported(rc), "gitlab %s: exited %d" % (job, rc))
                art = spec.get("artifacts") or {}
                check_artifacts(art.get("paths") or [], [v for k, v in (art.get("reports") or {}).items() if k == "junit"],
                                "gitlab " + job)
finally:
    subprocess.run(["git", "-C", src, "worktree", "prune"], capture_output=True)
    shutil.rmtree(tmp, ignore_errors=True)
print("CI examples: %.0f s" % (time.time() - t0))
print("%s: %d failure(s)" % ("FAIL" if failures else "PASS", len(failures)))
sys.exit(1 if failures else 0)
