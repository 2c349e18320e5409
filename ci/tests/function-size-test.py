#!/usr/bin/env python3
"""ci-function-size: ci/function-size.py finds a planted long function (and
only that one) in C that is hard to scan, then the suite's own parts have no
function over its limit. Runs in well under a second."""
import os
import subprocess
import sys
import tempfile

root = sys.argv[1]
tool = os.path.join(root, "ci", "function-size.py")
fails = 0


def check(cond, what):
    global fails
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        fails += 1


def body(n):
    """n lines of statements."""
    return "".join("    x += %d;\n" % i for i in range(n))


# planted.c: `too_long` is 121 lines from its name to its brace; the rest are
# traps a naive brace counter trips on
planted = (
    '#define OPEN {\n'
    'static const char *s = "}}}{";\n'
    "static const char c = '{';\n"
    "/* } { */\n"
    "static int table[] = {\n" + "".join("    %d,\n" % i for i in range(200)) + "};\n"
    "struct big {\n" + "".join("    int f%d;\n" % i for i in range(200)) + "};\n"
    "static void (*pick(int k))(int)\n{\n" + body(5) + "    return 0;\n}\n"
    "static char (*keys(unsigned n))[40]\n{\n" + body(3) + "    return 0;\n}\n"
    "int just_right(int x)\n{\n" + body(116) + "    return x;\n}\n"   # 120 lines
    "static int\ntoo_long(int x) __attribute__((unused));\n"
    "static int too_long(int x)\n{\n"
    '    const char *t = "{";  // {\n' + body(116) + "    return x;\n}\n"  # 121 lines
)

with tempfile.TemporaryDirectory(prefix="splsuite-ci-fnsize-") as d:
    f = os.path.join(d, "planted.c")
    with open(f, "w") as fh:
        fh.write(planted)
    line = planted[: planted.index("static int too_long(int x)\n{")].count("\n") + 1
    p = subprocess.run([sys.executable, tool, "--max", "120", "--top", "10", d], capture_output=True, text=True)
    print(p.stdout, end="")
    check(p.returncode == 1, "a 121-line function fails the check (exit %d)" % p.returncode)
    check(f"{f}:{line}: too_long: 121 lines (over 120)" in p.stdout, "it is named, with its line and length")
    check(p.stdout.count("(over 120)") == 1, "nothing else is over (just_right is 120 lines; tables and structs are not functions)")
    for name in ("just_right", "pick", "keys"):
        check(f" {name}\n" in p.stdout, f"{name} is found as a function")
    p = subprocess.run([sys.executable, tool, "--max", "121", d], capture_output=True, text=True)
    check(p.returncode == 0, "with --max 121 it passes (exit %d)" % p.returncode)
    p = subprocess.run([sys.executable, tool, "--max", "0", d], capture_output=True, text=True)
    check(p.returncode == 2, "--max 0 is a usage error (exit %d)" % p.returncode)

# the real check: the parts issue 15 names
p = subprocess.run([sys.executable, tool, "--top", "3"], capture_output=True, text=True, cwd=root)
print(p.stdout, end="")
print(p.stderr, end="", file=sys.stderr)
check(p.returncode == 0, "no function over 120 lines in lib/ conformance/ stress/ bench/ cli/ results/ ci/ lab/ bpf/")
sys.exit(1 if fails else 0)
