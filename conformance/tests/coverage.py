#!/usr/bin/env python3
"""coverage.py - does a rule check every public function, and does each rule
call what it says it needs?

The function list comes from the public header (every `splinter_NAME(`
prototype). What a rule calls is read from the rule sources: the body of its
`.run` function and, transitively, of every function of conformance/ it
names (helpers, worker functions handed to spl_team_run), scanned for calls
through the implementation's table (`im->NAME(`, `c->im.NAME(`, ...). Calls
through `peer` (the interop partner) do not count. The coverage table of the
spec (the section "Coverage: function -> rules") must list every function,
and each rule it names must call that function.

Fails (exit 1) when a public function has no rule, a rule's `needs` names a
function it never calls, or the spec's table is missing a function or names
a rule that does not call it. Prints the function -> rules map.

usage: coverage.py HEADER RULES_DIR SPEC [--quiet]
"""
import os
import re
import sys


def strip_comments(src):
    src = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), src, flags=re.S)
    src = re.sub(r"//[^\n]*", "", src)
    return src


def header_functions(path):
    src = strip_comments(open(path).read())
    names = set()
    for m in re.finditer(r"^[ \t]*(?!#)[A-Za-z_][\w \t\*]*?\bsplinter_(\w+)\s*\(", src, flags=re.M):
        names.add(m.group(1))
    return names


def functions_of(src):
    """top-level function definitions: name -> body text"""
    out = {}
    for m in re.finditer(r"^(?:static\s+)?(?:inline\s+)?[A-Za-z_][\w \t\*]*?\b(\w+)\s*\([^;{]*?\)\s*\{", src, flags=re.M):
        name = m.group(1)
        i, depth = m.end(), 1
        while depth and i < len(src):
            if src[i] == "{":
                depth += 1
            elif src[i] == "}":
                depth -= 1
            i += 1
        out[name] = src[m.end():i]
    return out


CALL_RE = re.compile(r"\bim(?:->|\.)(\w+)\s*\(")
IDENT_RE = re.compile(r"\b([A-Za-z_]\w*)\b")


def main(argv):
    quiet = "--quiet" in argv
    argv = [a for a in argv if a != "--quiet"]
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    header, rdir, spec = argv[1:]
    public = header_functions(header)
    files = {}
    for fn in sorted(os.listdir(rdir)):
        if fn.endswith(".c"):
            files[fn] = strip_comments(open(os.path.join(rdir, fn)).read())
    funcs = {fn: functions_of(src) for fn, src in files.items()}
    # non-static functions are visible from every file; statics from their own
    global_funcs = {}
    for fn, src in files.items():
        for name in funcs[fn]:
            if not re.search(r"^static\b[^\n]*\b%s\s*\(" % re.escape(name), src, flags=re.M):
                global_funcs.setdefault(name, fn)

    def resolve(name, in_file):
        if name in funcs[in_file]:
            return (in_file, name)
        if name in global_funcs:
            return (global_funcs[name], name)
        return None

    def calls_of(file, name):
        seen, todo, calls = set(), [(file, name)], set()
        while todo:
            f, n = todo.pop()
            if (f, n) in seen:
                continue
            seen.add((f, n))
            body = funcs[f][n]
            calls |= set(CALL_RE.findall(body))
            for ident in set(IDENT_RE.findall(body)):
                r = resolve(ident, f)
                if r and r not in seen:
                    todo.append(r)
        return calls

    errors = []
    rules = {}  # id -> (file, calls)
    for fn, src in files.items():
        needs = {}
        for m in re.finditer(r"\b(needs_\w+)\s*\[\]\s*=\s*\{([^}]*)\}", src):
            needs[m.group(1)] = re.findall(r'"(\w+)"', m.group(2))
        for m in re.finditer(r"\{\s*\.id\s*=\s*\"([A-Z]+-\d+)\"(.*?)\}", src, flags=re.S):
            rid, body = m.group(1), m.group(2)
            run = re.search(r"\.run\s*=\s*(\w+)", body)
            nd = re.search(r"\.needs\s*=\s*(\w+)", body)
            if not run or run.group(1) not in funcs[fn]:
                errors.append("%s: rule %s: .run function not found in %s" % (fn, rid, fn))
                continue
            calls = calls_of(fn, run.group(1))
            rules[rid] = (fn, calls)
            if nd and nd.group(1) != "NULL":
                if nd.group(1) not in needs:
                    errors.append("%s: rule %s: needs list %s not found" % (fn, rid, nd.group(1)))
                    continue
                for need in needs[nd.group(1)]:
                    if need not in calls:
                        errors.append("rule %s (%s) lists splinter_%s in .needs but never calls it" % (rid, fn, need))
    by_fn = {f: sorted(r for r, (_, calls) in rules.items() if f in calls) for f in public}
    for f in sorted(public):
        if not by_fn[f]:
            errors.append("public function splinter_%s is called by no rule" % f)
    # the spec's coverage table: | `splinter_NAME` | RULE, RULE ... | what |
    text = open(spec).read()
    sec = re.search(r"^## Coverage: function -> rules.*?(?=^## |\Z)", text, flags=re.M | re.S)
    if not sec:
        errors.append("%s: no section '## Coverage: function -> rules'" % spec)
    else:
        listed = {}
        for m in re.finditer(r"^\|\s*`splinter_(\w+)`\s*\|([^|]*)\|", sec.group(0), flags=re.M):
            listed[m.group(1)] = re.findall(r"[A-Z]+-\d+", m.group(2))
        for f in sorted(public):
            if f not in listed:
                errors.append("spec coverage table has no row for splinter_%s" % f)
                continue
            for rid in listed[f]:
                if rid not in rules:
                    errors.append("spec coverage table: splinter_%s names %s, which is not a rule" % (f, rid))
                elif f not in rules[rid][1]:
                    errors.append("spec coverage table: splinter_%s names %s, which never calls it" % (f, rid))
        for f in listed:
            if f not in public:
                errors.append("spec coverage table lists splinter_%s, which the header does not declare" % f)
    if not quiet:
        for f in sorted(public):
            print("splinter_%-24s %s" % (f, " ".join(by_fn[f]) or "-"))
        print("%d public functions, %d rules, %d functions without a rule" %
              (len(public), len(rules), sum(1 for f in public if not by_fn[f])))
    for e in errors:
        print("FAIL: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
