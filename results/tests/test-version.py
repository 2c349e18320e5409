#!/usr/bin/env python3
"""One version everywhere: splsuite --version, the envelope's suite.version,
the libraries' file version and SONAME major, the pkg-config files,
splref.h's SPLREF_VERSION_STRING, what splinter_ref_version() returns (read
from the library's bytes), and debian/changelog's top entry.

usage: test-version.py SPLSUITE LIBSPLREF.so BUILDROOT SOURCEROOT
"""
import json
import os
import re
import subprocess
import sys

splsuite, lib, build, src = sys.argv[1:5]
got = {}
got["splsuite --version"] = subprocess.run([splsuite, "--version"], capture_output=True, text=True).stdout.split()[1]
info = json.loads(subprocess.run([splsuite, "info", "--json"], capture_output=True, text=True).stdout)
got["envelope suite.version"] = info["run"]["suite"]["version"]
real = os.path.realpath(lib)
m = re.search(r"\.so\.(\d+\.\d+\.\d+)$", real)
got["library file version"] = m.group(1) if m else real
so = subprocess.run(["readelf", "-d", real], capture_output=True, text=True).stdout
m = re.search(r"Library soname: \[libsplref\.so\.(\d+)\]", so)
major = m.group(1) if m else "?"
for pc in ("splref.pc", "splref_p.pc"):
    text = open(os.path.join(build, "meson-private", pc)).read()
    got["pkg-config " + pc] = re.search(r"^Version: (.*)$", text, re.M).group(1)
hdr = open(os.path.join(src, "ref", "include", "splref.h")).read()
got["splref.h SPLREF_VERSION_STRING"] = re.search(r'#define SPLREF_VERSION_STRING "([^"]+)"', hdr).group(1)
m = re.search(rb"splref (\d+\.\d+\.\d+) \(shm\)", open(real, "rb").read())
got["splinter_ref_version()"] = m.group(1).decode() if m else "?"
cl = os.path.join(src, "debian", "changelog")
if os.path.exists(cl):
    got["debian/changelog"] = re.match(r"^\S+ \(([^)]+)\)", open(cl).read()).group(1)
want = got["splsuite --version"]
bad = {k: v for k, v in got.items() if v != want}
for k, v in got.items():
    print("%-34s %s%s" % (k, v, "" if v == want else "   <- differs"))
print("%-34s %s (the version's major: %s)" % ("SONAME major", major, want.split(".")[0]))
if major != want.split(".")[0]:
    bad["SONAME"] = major
print("%s: %d disagreement(s)" % ("FAIL" if bad else "PASS", len(bad)))
sys.exit(1 if bad else 0)
