#!/usr/bin/env python3
"""Every command, every option, every kind of bad value: exit 2 and one line.

    bad-values.py SPLSUITE

The options come from each command's own table (`splsuite CMD --list-options`),
so a new option is tried the day it is added. For each option the values its
type must refuse are given one at a time (a number with a tail, a sign, an
overflow, past its bound; a duration without a unit or past its bound; a size
with a bad suffix; a name that is not a choice; an empty text), plus an
unknown option, a missing value and a value given to a flag. Each must end
with exit status 2, nothing on stdout, and exactly one line on stderr that
names the option and points at --help: never the usage text, never exit 77,
never a silent drop. Nothing runs: a bad option stops a command before work.
"""
import json
import re
import subprocess
import sys

S = sys.argv[1]
# argv prefix of each command (trace needs its probe first)
COMMANDS = {
    "conform": ["conform"], "torture": ["torture"], "fsck": ["fsck"], "bench": ["bench"], "plot": ["plot"],
    "trace": ["trace", "madvise"], "lab": ["lab"], "info": ["info"], "compare": ["compare"], "db": ["db"],
    "history": ["history"],
}
# Values that make a wrongly accepted bad value end at once, with a message
# about something else (so the case fails fast instead of running a torture).
GUARD = {"conform": ("impl", ["--impl", "/nonexistent/guard.so"]), "torture": ("impl", ["--impl", "/nonexistent/guard.so"]),
         "bench": ("impl", ["--impl", "/nonexistent/guard.so"]), "trace": ("duration", ["--duration", "1ms"]),
         "lab": ("kernel", ["--kernel", "/nonexistent/guard-bzImage"])}
failures = []
checked = 0


def run(argv):
    try:
        p = subprocess.run([S] + argv, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:  # a bad value taken for a good one: the command ran
        return -1, "", "ran for 20 s instead of refusing the value"
    return p.returncode, p.stdout, p.stderr


def expect_usage(cmd, argv, name, what):
    """exit 2, no stdout, one stderr line naming the option (name may be None)."""
    global checked
    checked += 1
    rc, out, err = run(argv)
    lines = [l for l in err.splitlines() if l.strip()]
    problems = []
    if rc != 2:
        problems.append("exit %d, want 2" % rc)
    if out.strip():
        problems.append("stdout not empty: %r" % out[:120])
    if len(lines) != 1:
        problems.append("%d lines on stderr, want 1: %r" % (len(lines), err[:300]))
    elif not lines[0].startswith("splsuite %s: " % cmd):
        problems.append("line does not start with 'splsuite %s: ': %r" % (cmd, lines[0]))
    elif name and name not in lines[0]:
        problems.append("line does not name %s: %r" % (name, lines[0]))
    elif "see 'splsuite %s --help'" % cmd not in lines[0]:
        problems.append("line does not point at --help: %r" % lines[0])
    if problems:
        failures.append("%s (%s): %s" % (" ".join(argv), what, "; ".join(problems)))


def bad_values(o):
    t = o["type"]
    vals = []
    if t == "uint":
        vals = [("3x", "a tail"), ("abc", "not a number"), ("-5", "a sign"), ("12abc", "digits then letters"),
                (" 5", "a blank"), ("1.5", "a fraction"), ("99999999999999999999999", "an overflow")]
        if o["max"] < 2**64 - 1:
            vals.append((str(o["max"] + 1), "past the upper bound"))
        if o["min"] > 0:
            vals.append((str(o["min"] - 1), "under the lower bound"))
    elif t == "duration":
        vals = [("5parsecs", "an unknown unit"), ("-1s", "a sign"), ("s", "no number"), ("1e3s", "an exponent"),
                ("%ds" % (o["max"] // 10**9 + 1), "past the upper bound")]
        if o["min"] > 0:
            vals.append(("0", "under the lower bound"))
    elif t == "size":
        vals = [("3q", "an unknown suffix"), ("-1", "a sign"), ("1.5M", "a fraction"), ("k", "no number")]
        if o["max"] < 2**64 - 1:
            vals.append((str(o["max"] + 1), "past the upper bound"))
    elif t == "real":
        vals = [("abc", "not a number"), ("-1", "a sign"), ("nan", "nan"), ("inf", "inf"), ("0x10", "hex"),
                ("%g" % (o["max"] * 10 + 1), "past the upper bound")]
    elif t == "choice":
        vals = [("no-such-choice", "not one of the choices"), ("", "empty")]
    elif t == "list":
        vals = [("no-such-item", "an unknown item"), (o["choices"][0] + ",no-such-item", "one good, one unknown item"),
                (o["choices"][0] + ",", "an empty item")]
    elif t == "string":
        vals = [("", "empty")]
    return vals


for cmd, prefix in COMMANDS.items():
    rc, out, err = run(prefix + ["--list-options"])
    if rc != 0:
        failures.append("%s --list-options: exit %d %s" % (cmd, rc, err[:200]))
        continue
    opts = [json.loads(l) for l in out.splitlines() if l.strip()]
    if not opts:
        failures.append("%s --list-options: no options" % cmd)
        continue
    for o in opts:
        flag = "--" + o["name"]
        gname, gargs = GUARD.get(cmd, (None, []))
        base = prefix + (gargs if o["name"] != gname else [])
        if o["type"] == "flag":
            expect_usage(cmd, base + [flag + "=1"], flag, "a value given to a flag")
            continue
        expect_usage(cmd, base + [flag], flag, "a missing value")
        for v, what in bad_values(o):
            expect_usage(cmd, base + [flag, v], flag, what)
            if o.get("short") and v:
                expect_usage(cmd, base + ["-" + o["short"], v], flag, what + " (short option)")
    expect_usage(cmd, prefix + ["--no-such-option"], "--no-such-option", "an unknown option")
    expect_usage(cmd, prefix + ["-%"], "-%", "an unknown short option")

# custom parsers, by hand: the values their own rules refuse
for argv, name in ((["torture", "--bid-mix", "1:2"], "--bid-mix"), (["torture", "--bid-mix", "0:1:1:1:1"], "--bid-mix"),
                   (["torture", "--bid-mix", "1:2:3:4:5:6"], "--bid-mix"), (["lab", "--matrix", "2,x"], "--matrix"),
                   (["lab", "--matrix", "99"], "--matrix"), (["trace", "madvise", "-p", "0"], "--pid"),
                   (["trace", "madvise", "-p", "12,x"], "--pid"), (["bench", "--value-size", "64,x"], "--value-size"),
                   (["bench", "--fill", "101"], "--fill"), (["bench", "--procs", "0"], "--procs"),
                   (["bench", "--dirty", "all,q"], "--dirty"), (["bench", "--ops", "set,nope"], "--ops"),
                   (["bench", "--strategy", "msync,nope"], "--strategy"),
                   (["bench", "-i", "ref", "-i", "ref", "-i", "ref", "-i", "ref", "-i", "ref"], "--impl"),
                   (["conform", "--rules", "SEQ-001,NOPE-9"], "--rules"), (["conform", "--rules", "NOPE"], "--rules"),
                   (["bench", "no-such-workload"], "no-such-workload"), (["trace", "no-such-probe"], "no-such-probe"),
                   (["trace", "madvise", "3x"], "interval"), (["trace", "madvise", "1", "0"], "count"),
                   (["db", "no-such-action"], "no-such-action")):
    expect_usage(argv[0], argv, name, "a value its parser refuses")

for f in failures:
    print("FAIL: " + f)
print("%d cases, %d failed" % (checked, len(failures)))
sys.exit(1 if failures else 0)
