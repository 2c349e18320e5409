#!/usr/bin/env python3
"""header-compat.py [options] LIST INCLUDE_DIR WORKDIR

Proves our splinter.h is a drop-in for the original's: LIST
(tests/abi/orig-names.txt, every name of the original header with its value,
type and layout) becomes one C program that uses every name, asserts every
value, type, size and offset at compile time (_Static_assert), takes the
address of every function and calls every inline. It must compile against
INCLUDE_DIR/splinter.h, link against --lib, and run.

--run-against LIB then runs the same binary with LIB installed as
libsplinter.so on LD_LIBRARY_PATH (the original, built locally): code built
against our header that uses only the original's names must load and run
against the original (it is linked with -z now, so a function the original
lacks, e.g. a splinter_now that is only inline there, fails at load).

  --cc CC...        the C compiler command (default: cc)
  --cflag=FLAG      one more flag for the C program's compile and link
                    (repeatable): a sanitizer build passes its -fsanitize=,
                    without which the instrumented library cannot be loaded
  --cxx CXX...      also check the names from C++23 (as the original's header
                    allows), with this C++ compiler
  --embeddings      the -DSPLINTER_EMBEDDINGS build: its rows, not the others
  --lib PATH        library to link (our libsplinter.so)
  --run-against [LIB] also run against LIB, default $SPLSUITE_ORIG_LIB
                    (skipped, exit 77, if there is no such library);
                    the [numa] rows are left out then (the original has
                    splinter_open_numa only in a NUMA build)

Exit: 0 ok, 1 a name is missing or differs (the compiler says which), 2 usage,
77 --run-against given but the library is not there.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

INT_TYPES = {"int": "int", "unsigned": "unsigned int", "long": "long", "unsigned long": "unsigned long",
             "long long": "long long", "unsigned long long": "unsigned long long"}


def rows(path, embeddings, numa):
    for line in open(path):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        tag = None
        if line.endswith("]") and " [" in line:
            line, tag = line[: line.rindex(" [")], line[line.rindex(" [") + 2: -1]
        if tag == "embeddings" and not embeddings:
            continue
        if tag == "noembeddings" and embeddings:
            continue
        if tag == "numa" and not numa:
            continue
        yield line.split(" ", 2) + [""] * (3 - len(line.split(" ", 2)))


def program(list_path, embeddings, numa):
    top, body, n = [], [], 0

    def sa(cond, what):
        top.append('_Static_assert(%s, "%s");' % (cond, what.replace('"', "'")))

    for kind, name, rest in rows(list_path, embeddings, numa):
        n += 1
        if kind == "macro":
            if not rest:
                top.append("#ifndef %s\n#error \"macro %s is not defined\"\n#endif" % (name, name))
                continue
            typ, val = rest.split(" ", 1) if not rest.startswith("unsigned ") and not rest.startswith("long long") else (
                rest.rsplit(" ", 1)[0], rest.rsplit(" ", 1)[1])
            top.append("#ifndef %s\n#error \"macro %s is not defined\"\n#endif" % (name, name))
            if typ == "str":
                sa("_Generic((%s), char *: 1, const char *: 1, default: 0)" % name, "macro %s is a string" % name)
                body.append('if (strcmp(%s, "%s") != 0) { fails++; fprintf(stderr, "macro %s is \\"%%s\\", the original\'s is \\"%s\\"\\n", %s); }'
                            % (name, val, name, val, name))
            else:
                sa("(%s) == %sLL" % (name, val), "macro %s == %s" % (name, val))
                sa("_Generic((%s), %s: 1, default: 0)" % (name, INT_TYPES[typ]), "macro %s has type %s" % (name, INT_TYPES[typ]))
        elif kind == "enum":
            sa("(%s) == %s" % (name, rest), "enum constant %s == %s" % (name, rest))
        elif kind == "typedef":
            parts = rest.split(" ", 2)
            sa("sizeof(%s) == %s && alignof(%s) == %s" % (name, parts[0], name, parts[1]), "typedef %s: size %s, align %s" % (name, parts[0], parts[1]))
            if len(parts) > 2:
                sa("__builtin_types_compatible_p(%s, %s)" % (name, parts[2]), "typedef %s is %s" % (name, parts[2]))
        elif kind == "struct":
            size, align = rest.split(" ")
            sa("sizeof(struct %s) == %s && alignof(struct %s) == %s" % (name, size, name, align), "struct %s: size %s, align %s" % (name, size, align))
        elif kind == "field":
            rec, field = name.split(".")
            off, size, typ = rest.split(" ", 2)
            sa("offsetof(struct %s, %s) == %s" % (rec, field, off), "%s.%s at offset %s" % (rec, field, off))
            sa("sizeof(((struct %s *)0)->%s) == %s" % (rec, field, size), "%s.%s has size %s" % (rec, field, size))
            sa("__builtin_types_compatible_p(__typeof__(((struct %s *)0)->%s), %s)" % (rec, field, typ), "%s.%s has type %s" % (rec, field, typ))
        elif kind in ("func", "inline"):
            sa("__builtin_types_compatible_p(__typeof__(%s), %s)" % (name, rest), "function %s has type %s" % (name, rest))
            if kind == "func":
                body.append("fns[nf++] = (void (*)(void))%s;" % name)
            else:
                body.append("(void)%s();" % name)  # the original's inline takes no arguments
        else:
            sys.exit("%s: unknown row kind %r" % (list_path, kind))
    src = ["/* generated by tests/abi/header-compat.py from %s */" % os.path.basename(list_path)]
    if embeddings:
        src.append("#define SPLINTER_EMBEDDINGS 1")
    src += ['#include "splinter.h"', "#include <stdalign.h>", "#include <stddef.h>", "#include <stdio.h>", "#include <string.h>", ""]
    src += top
    src += ["", "int main(void)", "{", "    int fails = 0, nf = 0;", "    static void (*fns[%d])(void);" % max(n, 1)]
    src += ["    " + b for b in body]
    src += ["    for (int i = 0; i < nf; i++) if (!fns[i]) fails++;",
            '    printf("%%s: %d names of the original header, %%d functions resolved\\n", fails ? "FAIL" : "ok", nf);' % n,
            "    return fails ? 1 : 0;", "}"]
    return "\n".join(src) + "\n", n


def program_cxx(list_path, embeddings, numa):
    """The same rows for a C++23 compiler (the original's header, written
    with <stdatomic.h> typedefs, compiles as C++23; ours must too)."""
    top, body = [], []

    def sa(cond, what):
        top.append('static_assert(%s, "%s");' % (cond, what.replace('"', "'")))

    for kind, name, rest in rows(list_path, embeddings, numa):
        if kind == "macro" and rest:
            typ, val = rest.rsplit(" ", 1)
            if typ == "str":
                body.append('if (std::strcmp(%s, "%s") != 0) fails++;' % (name, val))
            else:
                sa("(%s) == %sLL" % (name, val), "macro %s == %s" % (name, val))
                sa("std::is_same<decltype(%s), %s>::value" % (name, INT_TYPES[typ]), "macro %s has type %s" % (name, INT_TYPES[typ]))
        elif kind == "enum":
            sa("(%s) == %s" % (name, rest), "enum constant %s == %s" % (name, rest))
        elif kind == "typedef":
            parts = rest.split(" ", 2)
            sa("sizeof(%s) == %s && alignof(%s) == %s" % (name, parts[0], name, parts[1]), "typedef %s size/align" % name)
            if len(parts) > 2:
                sa("std::is_same<%s, %s>::value" % (name, parts[2]), "typedef %s is %s" % (name, parts[2]))
        elif kind == "struct":
            size, align = rest.split(" ")
            sa("sizeof(struct %s) == %s && alignof(struct %s) == %s" % (name, size, name, align), "struct %s size/align" % name)
        elif kind == "field":
            rec, field = name.split(".")
            off, size, typ = rest.split(" ", 2)
            sa("offsetof(struct %s, %s) == %s" % (rec, field, off), "%s.%s offset" % (rec, field))
            sa("sizeof(((struct %s *)0)->%s) == %s" % (rec, field, size), "%s.%s size" % (rec, field))
            sa("std::is_same<decltype(%s::%s), %s>::value" % (rec, field, typ), "%s.%s has type %s" % (rec, field, typ))
        elif kind in ("func", "inline"):
            sa("std::is_same<decltype(%s), %s>::value" % (name, rest), "function %s has type %s" % (name, rest))
    src = ["// generated by tests/abi/header-compat.py"]
    if embeddings:
        src.append("#define SPLINTER_EMBEDDINGS 1")
    src += ['#include "splinter.h"', "#include <cstddef>", "#include <cstring>", "#include <type_traits>", ""]
    src += top + ["int main()", "{", "    int fails = 0;"] + ["    " + b for b in body] + ["    return fails;", "}"]
    return "\n".join(src) + "\n"


def check_cxx(a):
    """0 ok, 1 fails, 77 the compiler has no C++23 (then neither header is usable from C++)."""
    cxx = os.path.join(a.workdir, "header-compat.cc")
    with open(cxx, "w") as f:
        f.write(program_cxx(a.list, a.embeddings, True))
    probe = subprocess.run(a.cxx + ["-std=c++23", "-x", "c++", "-fsyntax-only", "-"], input="#include <stdatomic.h>\nint main(){}\n",
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print("C++: skipped, %s has no C++23 <stdatomic.h> (the original's header needs it too)" % a.cxx[0])
        return 77
    r = subprocess.run(a.cxx + ["-std=c++23", "-fsyntax-only", "-I", a.include, cxx], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stdout.write(r.stdout + r.stderr)
        print("FAIL: the original header's names, used from C++23, do not build against %s/splinter.h (%s)" % (a.include, cxx))
        return 1
    print("C++23: the same names build against %s/splinter.h" % a.include)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("list")
    ap.add_argument("include")
    ap.add_argument("workdir")
    ap.add_argument("--cc", nargs="+", default=["cc"])
    ap.add_argument("--cflag", action="append", default=[])
    ap.add_argument("--cxx", nargs="+")
    ap.add_argument("--embeddings", action="store_true")
    ap.add_argument("--lib")
    ap.add_argument("--run-against", nargs="?", const="")
    a = ap.parse_args()
    if a.run_against == "":
        a.run_against = os.environ.get("SPLSUITE_ORIG_LIB", "")
    if a.run_against is not None and not os.path.exists(a.run_against):
        print("SKIP: --run-against %s: no such library (set SPLSUITE_ORIG_LIB to the original's libsplinter.so)"
              % (a.run_against or "''"))
        return 77
    os.makedirs(a.workdir, exist_ok=True)
    # the original declares splinter_open_numa only when built with NUMA: a
    # program meant to run against a build without it must not use it
    src, n = program(a.list, a.embeddings, numa=a.run_against is None)
    c = os.path.join(a.workdir, "header-compat.c")
    exe = os.path.join(a.workdir, "header-compat")
    with open(c, "w") as f:
        f.write(src)
    cmd = a.cc + a.cflag + ["-std=gnu11", "-I", a.include, c, "-o", exe, "-Wl,-z,now"]
    if a.lib:
        cmd += [os.path.abspath(a.lib)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stdout.write(r.stdout + r.stderr)
        print("FAIL: a program using the original header's %d names does not build against %s/splinter.h (%s)" % (n, a.include, c))
        return 1
    print("built %s against %s/splinter.h" % (exe, a.include))
    if a.cxx and a.run_against is None and check_cxx(a) == 1:
        return 1
    env = dict(os.environ)
    if a.lib:
        env["LD_LIBRARY_PATH"] = os.path.dirname(os.path.abspath(a.lib))
    if a.run_against:
        d = tempfile.mkdtemp(prefix="splsuite-hdr.")
        try:
            os.symlink(os.path.realpath(a.run_against), os.path.join(d, "libsplinter.so"))
            env["LD_LIBRARY_PATH"] = d
            shutil.copy(exe, os.path.join(d, "prog"))
            t = subprocess.run(["ldd", os.path.join(d, "prog")], capture_output=True, text=True, env=env).stdout
            where = [l.split("=>")[1].split()[0] for l in t.splitlines() if l.strip().startswith("libsplinter.so")]
            if not where or os.path.dirname(where[0]) != d:
                print("FAIL: libsplinter.so resolved to %s, not the library under test in %s" % (where, d))
                return 1
            print("running against %s" % os.path.realpath(a.run_against))
            return 0 if subprocess.run([os.path.join(d, "prog")], env=env).returncode == 0 else 1
        finally:
            shutil.rmtree(d, ignore_errors=True)
    return 0 if subprocess.run([exe], env=env).returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
