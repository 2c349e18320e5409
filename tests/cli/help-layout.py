#!/usr/bin/env python3
"""Every command's --help in one layout, and in step with its option table.

    help-layout.py SPLSUITE

The commands come from `splsuite --help` (so a new command is checked the day
it is listed there), their options from `splsuite CMD --list-options`. For
each command, `--help` and `-h` print the same text on stdout, exit 0 and say
nothing on stderr; the text is, in this order: a `Usage: splsuite CMD` line,
the option headings, `Examples:` with at least one `splsuite CMD` line, and
`Exit status:` last, listing 0 and 2 at least, each status once, in rising
order. Every option the table does not hide is in the help (`-k, --name` when
it has a short one), so the parser and the help cannot drift apart. A command
with JSON output asks for it one way: -j/--json for stdout, -o/--output FILE
for a file. Lines other than examples fit in 100 columns.
"""
import json
import re
import subprocess
import sys

S = sys.argv[1]
failures = []
opts_checked = 0


def run(argv):
    p = subprocess.run([S] + argv, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def commands():
    rc, out, err = run(["--help"])
    if rc != 0:
        failures.append("splsuite --help: exit %d" % rc)
    names, inside = [], False
    for line in out.splitlines():
        if line == "Commands:":
            inside = True
        elif inside and not line.strip():
            break
        elif inside:
            m = re.match(r"  ([a-z][a-z-]*)\s", line)
            if m:
                names.append(m.group(1))
    if not names:
        failures.append("splsuite --help lists no commands under 'Commands:'")
    return names


def check(cmd):
    bad = lambda what: failures.append("splsuite %s --help: %s" % (cmd, what))
    rc, out, err = run([cmd, "--help"])
    if rc == 77:  # its part was not built here: it says why, and that is all it can say
        print("skip: splsuite %s: %s" % (cmd, err.strip()))
        return
    if rc != 0:
        bad("exit %d, want 0" % rc)
    if err.strip():
        bad("stderr not empty: %r" % err[:200])
    rc_h, out_h, _ = run([cmd, "-h"])
    if rc_h != 0 or out_h != out:
        bad("-h differs from --help (exit %d)" % rc_h)
    lines = out.splitlines()
    if not lines or not lines[0].startswith("Usage: splsuite %s" % cmd):
        bad("first line is not 'Usage: splsuite %s ...': %r" % (cmd, lines[0] if lines else ""))
        return
    heads = [i for i, l in enumerate(lines) if re.match(r"^[A-Z][^ ].*:$", l) or re.match(r"^[A-Z][a-z ]+:$", l)]
    names = [lines[i] for i in heads]
    if "Examples:" not in names:
        bad("no 'Examples:' section")
    if "Exit status:" not in names:
        bad("no 'Exit status:' section")
        return
    if names[-1] != "Exit status:":
        bad("'Exit status:' is not the last section (after it: %s)" % names[names.index("Exit status:") + 1:])
    if "Examples:" in names and names.index("Examples:") > names.index("Exit status:"):
        bad("'Examples:' comes after 'Exit status:'")
    ex = heads[names.index("Examples:")] if "Examples:" in names else None
    ex_end = heads[names.index("Examples:") + 1] if ex is not None else None
    if ex is not None and not any(l.startswith("  splsuite %s" % cmd) for l in lines[ex + 1:ex_end]):
        bad("no example line '  splsuite %s ...'" % cmd)
    st = heads[names.index("Exit status:")]
    codes = [int(m.group(1)) for m in (re.match(r"^  (\d+)\s", l) for l in lines[st + 1:]) if m]
    for want in (0, 2):
        if want not in codes:
            bad("exit status %d is not listed" % want)
    if codes != sorted(set(codes)):
        bad("exit statuses not listed once each in rising order: %s" % codes)
    for i, l in enumerate(lines):
        if len(l) > 100 and not (ex is not None and ex < i < ex_end):
            bad("line %d is %d columns wide: %r" % (i + 1, len(l), l[:60]))
    opts_before = "\n".join(lines[:ex if ex is not None else st])
    rc, lo, err = run([cmd, "--list-options"])
    if rc != 0:
        bad("--list-options: exit %d" % rc)
        return
    recs = [json.loads(l) for l in lo.splitlines() if l.strip()]
    # JSON is asked for one way everywhere: -j/--json on stdout, -o/--output FILE for a file
    by_name = {r["name"]: r for r in recs}
    if "json" in by_name:
        if by_name["json"].get("short") != "j":
            bad("--json has no -j")
        if by_name.get("output", {}).get("short") != "o" or by_name["output"].get("hidden"):
            bad("--json without -o, --output FILE")
    for rec in recs:
        if rec.get("hidden"):
            continue
        spell = "--" + rec["name"]
        if rec.get("short"):
            spell = "-%s, --%s" % (rec["short"], rec["name"])
        global opts_checked
        opts_checked += 1
        if not re.search(r"(^|\s)%s(\s|=|\[|$)" % re.escape(spell), opts_before, re.M):
            bad("option %s of the table is not in the help" % spell)


names = commands()
for c in names:
    check(c)
for f in failures:
    print("FAIL:", f)
print("%d commands, %d options checked, %d problems" % (len(names), opts_checked, len(failures)))
sys.exit(1 if failures else 0)
