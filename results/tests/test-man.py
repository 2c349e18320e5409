#!/usr/bin/env python3
"""The man pages generated from --help: one per command splsuite lists (and
splsuite(1), splsuite-perf-gate(1)), each renders without a groff warning
(man --warnings, as lintian runs it), and every option a command's --help
names is in its page. Rendering needs man-db; without it only the files and
the option coverage are checked (said so).

usage: test-man.py SPLSUITE PERFGATE MANDIR
"""
import os
import re
import shutil
import subprocess
import sys

splsuite, perfgate, mandir = sys.argv[1:4]
failures = []


def ok(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL", msg)


top = subprocess.run([splsuite, "--help"], capture_output=True, text=True).stdout
cmds = [c for c, rest in re.findall(r"^  ([a-z][a-z-]*) (.*)$", top.split("Commands:", 1)[1], re.M)
        if not rest.endswith("[not built]")]
pages = {"splsuite": [splsuite], "splsuite-perf-gate": [perfgate]}
pages.update({"splsuite-" + c: [splsuite, c] for c in cmds})
have_man = shutil.which("man") is not None
for name, argv in pages.items():
    path = os.path.join(mandir, name + ".1")
    if not ok(os.path.exists(path), "%s: no man page (add the command to docs/man/meson.build)" % path):
        continue
    src = open(path).read()
    ok(src.count(".TH ") == 1 and ".SH NAME" in src and ".SH SYNOPSIS" in src, "%s: not a man page" % path)
    helptext = subprocess.run(argv + ["--help"], capture_output=True, text=True).stdout
    opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", helptext))
    plain = src.replace("\\-", "-")
    missing = sorted(o for o in opts if o not in plain)
    ok(not missing, "%s: options of --help missing from the page: %s" % (name, missing))
    if have_man:
        p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", path], capture_output=True,
                           text=True, env=dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80"))
        ok(p.returncode == 0 and not p.stderr.strip(), "%s: groff says: %s" % (name, p.stderr.strip()[:300]))
print("%d pages checked%s" % (len(pages), "" if have_man else " (man-db not installed: not rendered)"))
print("%s: %d failure(s)" % ("FAIL" if failures else "PASS", len(failures)))
sys.exit(1 if failures else 0)
