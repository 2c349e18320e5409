#!/usr/bin/env python3
"""Function-size check of the static-analysis gate (issue 15: no function over
~120 lines in the suite's own parts).

A function's length is counted as ctags does: from the line holding its name
to the line of its closing brace, comments and blank lines included. The
scanner is a brace counter over C with comments, string and character
literals and preprocessor lines blanked out: a top-level '{' right after a
')' opens a function definition (TEST(x) { ... } style macros count too).
No compiler or ctags needed, so it runs everywhere the tests run (< 1 s).

  ci/function-size.py [--max N] [--top K] [PATH...]
      PATH: files or directories (default: the parts issue 15 names, below
      the repository root). Exit 0: none over N; 1: some (listed as
      file:line: name: L lines); 2: usage or unreadable input.
"""
import argparse
import os
import re
import sys

# The parts issue 15 names: ref/ (the reference implementation) and tests/
# (fixtures, hostile implementations) are not among them.
DEFAULT_PARTS = ["lib", "conformance", "stress", "bench", "cli", "results", "ci", "lab", "bpf"]
DEFAULT_MAX = 120

def blank(text):
    """Return text with comments, literals and preprocessor lines replaced by
    spaces (newlines kept, so line numbers stay)."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c in " \t":
            out.append(c)
            i += 1
            continue
        if line_start and c == "#":
            # a directive, with its continuation lines
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append(" \n")
                    i += 2
                    continue
                out.append(" ")
                i += 1
            continue
        line_start = False
        if c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        if c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
            continue
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        if c == "\n":
            line_start = True
        out.append(c)
        i += 1
    return "".join(out)


def functions(text):
    """Yield (name, first line, last line) of each function definition."""
    src = blank(text)
    depth = 0
    last_sig = -1  # offset of the last significant character at depth 0
    decl = 0  # where the declaration being read at depth 0 starts
    open_fn = None  # (name, offset of the name) of the definition being read
    for i, c in enumerate(src):
        if c.isspace():
            continue
        if c == "{":
            if depth == 0:
                open_fn = None
                # `f(...) {` and `(*f(...))[40] {`: a definition
                if last_sig >= 0 and src[last_sig] in ")]":
                    open_fn = name_in(src, decl, i)
            depth += 1
        elif c == "}":
            depth = max(depth - 1, 0)
            if depth == 0:
                if open_fn is not None:
                    name, at = open_fn
                    yield name, src.count("\n", 0, at) + 1, src.count("\n", 0, i) + 1
                open_fn = None
                decl = i + 1
        elif c == ";" and depth == 0:
            decl = i + 1
        if depth == 0:
            last_sig = i


NOT_A_NAME = {"__attribute__", "__attribute", "if", "while", "for", "switch", "return", "sizeof", "_Alignas", "__typeof__", "typeof"}


def name_in(src, start, end):
    """The function name in the declaration src[start:end]: the last
    identifier followed by a '(' that opens a parameter list (not `(*` of a
    declarator that returns a pointer to a function or an array, not an
    attribute), so macro invocations before it and attributes after it do
    not count. None when there is none."""
    best = None
    for m in re.finditer(r"([A-Za-z_][A-Za-z_0-9]*)\s*\(\s*(\S)?", src[start:end]):
        if m.group(1) in NOT_A_NAME or m.group(2) == "*":
            continue
        best = (m.group(1), start + m.start(1))
    return best


def c_files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if f.endswith(".c"):
                        yield os.path.join(root, f)
        else:
            yield p


def main():
    ap = argparse.ArgumentParser(description="List C functions longer than --max lines.")
    ap.add_argument("--max", type=int, default=DEFAULT_MAX, help="longest allowed function, in lines (default %(default)s)")
    ap.add_argument("--top", type=int, default=0, help="also print the K longest functions")
    ap.add_argument("paths", nargs="*", help="files or directories (default: the parts issue 15 names)")
    args = ap.parse_args()
    if args.max < 1 or args.top < 0:
        ap.error("--max must be >= 1 and --top >= 0")
    paths = args.paths
    if not paths:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        paths = [os.path.relpath(os.path.join(root, d)) for d in DEFAULT_PARTS if os.path.isdir(os.path.join(root, d))]
    found = []
    nfiles = 0
    for f in c_files(paths):
        try:
            with open(f, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError as e:
            print(f"function-size: {f}: {e.strerror}", file=sys.stderr)
            return 2
        nfiles += 1
        for name, first, last in functions(text):
            found.append((last - first + 1, f, first, name))
    found.sort(key=lambda t: (-t[0], t[1], t[2]))
    over = [t for t in found if t[0] > args.max]
    for n, f, line, name in over:
        print(f"{f}:{line}: {name}: {n} lines (over {args.max})")
    if args.top:
        print(f"longest {min(args.top, len(found))} of {len(found)} functions:")
        for n, f, line, name in found[: args.top]:
            print(f"  {n:4d} {f}:{line} {name}")
    if over:
        print(f"function-size: {len(over)} function(s) over {args.max} lines in {nfiles} files")
        return 1
    print(f"function-size: clean ({len(found)} functions in {nfiles} files, none over {args.max} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
