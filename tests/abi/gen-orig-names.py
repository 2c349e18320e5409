#!/usr/bin/env python3
"""gen-orig-names.py ORIGINAL_SPLINTER_H > tests/abi/orig-names.txt

Lists every name the original's public header offers, with what a client can
observe of it: macro values and types, enum constants, typedef and struct
sizes and alignments, every field's offset, size and type, every function's
type, and which functions are inline. tests/abi/header-compat.py turns the
list into a program that must compile (and link) against our splinter.h.

The original header is not part of this repository, so the list is checked
in; rerun this when the original's header changes (needs clang for its JSON
AST, and a C compiler for the probe that measures values and offsets):

    python3 tests/abi/gen-orig-names.py /work/shared/reference/seed-splinter.h > tests/abi/orig-names.txt

The header is read three times: as is, with SPLINTER_NUMA_AFFINITY, and with
SPLINTER_EMBEDDINGS. A row present in all is untagged; otherwise it carries
[numa], [embeddings] or [noembeddings].
"""
import json
import os
import re
import subprocess
import sys
import tempfile

CLANG = os.environ.get("CLANG", "clang")
CC = os.environ.get("CC", "cc")

TYPE_OF = """
#define SPL__T(x) _Generic((x), int: "int", unsigned int: "unsigned", long: "long", unsigned long: "unsigned long", \\
    long long: "long long", unsigned long long: "unsigned long long", char *: "str", const char *: "str", \\
    default: "other")
"""


def ast(header, defines):
    out = subprocess.run([CLANG, "-Xclang", "-ast-dump=json", "-fsyntax-only", "-x", "c", "-std=gnu11"] + defines + [header],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def decls(header, defines):
    """Top-level declarations spelled in the header itself."""
    real = os.path.realpath(header)
    cur = None
    for n in ast(header, defines)["inner"]:
        loc = n.get("loc", {})
        if "file" in loc:
            cur = loc["file"]
        elif "spellingLoc" in loc and "file" in loc["spellingLoc"]:
            cur = loc["spellingLoc"]["file"]
        if cur and os.path.realpath(cur) == real and not n.get("isImplicit"):
            yield n


def macros(header, defines):
    out = subprocess.run([CC, "-E", "-dD", "-x", "c"] + defines + [header], check=True, capture_output=True, text=True).stdout
    real = os.path.realpath(header)
    cur = None
    names = []
    for line in out.splitlines():
        m = re.match(r'# \d+ "([^"]+)"', line)
        if m:
            cur = m.group(1)
            continue
        m = re.match(r"#define (\w+)(\(?)", line)
        if m and cur and os.path.exists(cur) and os.path.realpath(cur) == real and not m.group(2):
            names.append(m.group(1))
    return names


def probe(header, defines, lines):
    """Compiles lines (printf statements) against the original header and runs them."""
    src = "#include <stdio.h>\n#include <stddef.h>\n#include <stdalign.h>\n#include \"%s\"\n%s\nint main(void) {\n%s\nreturn 0;\n}\n" % (
        os.path.realpath(header), TYPE_OF, "\n".join(lines))
    with tempfile.TemporaryDirectory() as d:
        c, exe = os.path.join(d, "p.c"), os.path.join(d, "p")
        with open(c, "w") as f:
            f.write(src)
        subprocess.run([CC, "-std=gnu11", "-w"] + defines + [c, "-o", exe], check=True)
        return subprocess.run([exe], check=True, capture_output=True, text=True).stdout.splitlines()


def rows(header, defines):
    p = []
    out = []
    for m in macros(header, defines):
        if m == "SPLINTER_H":
            out.append("macro SPLINTER_H")
            continue
        p.append('if (SPL__T(%s)[0] == \'s\') printf("macro %s str %%s\\n", (const char *)(%s)); '
                 'else printf("macro %s %%s %%lld\\n", SPL__T(%s), (long long)(%s));' % (m, m, m, m, m, m))
    for n in decls(header, defines):
        k, name = n["kind"], n.get("name")
        if k == "FunctionDecl":
            inline = n.get("inline") or any(i["kind"] == "CompoundStmt" for i in n.get("inner", []))
            out.append("%s %s %s" % ("inline" if inline else "func", name, n["type"]["qualType"]))
        elif k == "TypedefDecl":
            q = n["type"]["qualType"]
            under = n.get("inner", [{}])[0]
            named = not re.search(r"unnamed|anonymous|\"name\": \"\"", json.dumps(under))
            p.append('printf("typedef %s %%zu %%zu%s\\n", sizeof(%s), alignof(%s));' % (name, (" " + q.replace("%", "")) if named else "", name, name))
        elif k == "EnumDecl":
            for c in n.get("inner", []):
                if c["kind"] == "EnumConstantDecl":
                    p.append('printf("enum %s %%lld\\n", (long long)%s);' % (c["name"], c["name"]))
        elif k == "RecordDecl" and name and n.get("completeDefinition"):
            t = "struct " + name
            p.append('printf("struct %s %%zu %%zu\\n", sizeof(%s), alignof(%s));' % (name, t, t))
            for f in n.get("inner", []):
                if f["kind"] == "FieldDecl":
                    fn, q = f["name"], f["type"]["qualType"]
                    p.append('printf("field %s.%s %%zu %%zu %s\\n", offsetof(%s, %s), sizeof(((%s *)0)->%s));' % (name, fn, q, t, fn, t, fn))
    return sorted(set(out + probe(header, defines, p)))


def main():
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    h = sys.argv[1]
    base = rows(h, [])
    numa = rows(h, ["-DSPLINTER_NUMA_AFFINITY"])
    emb = rows(h, ["-DSPLINTER_EMBEDDINGS"])
    print("# Generated by tests/abi/gen-orig-names.py from the original's public header; do not edit.")
    print("# kind name details [tag]: see tests/abi/header-compat.py")
    for r in base:
        print(r if r in emb else r + " [noembeddings]")
    for r in numa:
        if r not in base:
            print(r + " [numa]")
    for r in emb:
        if r not in base:
            print(r + " [embeddings]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
