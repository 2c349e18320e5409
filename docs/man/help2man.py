#!/usr/bin/env python3
"""Man pages of splsuite written once: from each command's --help text.

    help2man.py SPLSUITE [COMMAND] OUT.1 [--version V] [--date YYYY-MM-DD]
    help2man.py PROGRAM OUT.1 --name NAME --summary TEXT     (a program of its own)

Runs `SPLSUITE COMMAND --help` (or `SPLSUITE --help` for splsuite(1)) and
turns it into man(7): the usage lines become SYNOPSIS, the first paragraphs
DESCRIPTION, option lines ("  -x, --long ARG   text") tagged paragraphs
under their group heading, "Exit status"/"exit:" paragraphs EXIT STATUS,
"Examples"/"EXAMPLES" blocks EXAMPLES (kept verbatim). The help text stays
the only source: a new option shows up in the man page at the next build.
The date is $SOURCE_DATE_EPOCH's (reproducible builds), else today.
"""
import datetime
import os
import re
import subprocess
import sys

OPT = re.compile(r"^(\s{1,8})(-[-\w?][^\s]*(?:,?\s(?!\s)[^\s]+)*?)(?:\s{2,}(\S.*))?$")
TERM = re.compile(r"^(\s{2,4})([a-z][\w:.-]*(?: [A-Z][A-Z_.]*(?:\.\.\.)?)*)\s{2,}(\S.*)$")
HEAD = re.compile(r"^([A-Za-z][^\t]{0,98}?):\s*$")
# an option line whose text follows after a single space: "--flush-iterations N flushes per ..."
OPT1 = re.compile(r"^(-[-\w?][^\s]*(?:,\s+-[-\w?][^\s]*)*(?:[ =][A-Z][A-Z0-9_.,|:]*)?)\s+(\S.*)$")


def esc(s):
    s = s.replace("\\", "\\e")
    # every dash of an option (--flush-iterations, -r) is \- so it copies as ASCII
    s = re.sub(r"(?<![\w-])-{1,2}[\w?][\w-]*", lambda m: m.group(0).replace("-", "\\-"), s)
    return s


def line(s):
    s = esc(s)
    return "\\&" + s if s[:1] in (".", "'") else s


def bold_opt(s):
    # "-i, --impl SPEC" -> \fB\-i\fR, \fB\-\-impl\fR \fISPEC\fR
    out = []
    for part in re.split(r"(,\s*)", s):
        if re.match(r"^,\s*$", part):
            out.append(part)
            continue
        words = part.split(" ")
        ws = []
        for w in words:
            if w.startswith("-"):
                m = re.match(r"^(-[-\w?]+)(=?)(.*)$", w)
                ws.append("\\fB%s\\fR%s%s" % (esc(m.group(1)), m.group(2), ("\\fI%s\\fR" % esc(m.group(3))) if m.group(3) else ""))
            elif w:
                ws.append("\\fI%s\\fR" % esc(w))
        out.append(" ".join(ws))
    return "".join(out)


def main():
    args = sys.argv[1:]
    version, date, own_name, own_summary = "", None, None, None
    if "--name" in args:
        i = args.index("--name"); own_name = args[i + 1]; del args[i:i + 2]
    if "--summary" in args:
        i = args.index("--summary"); own_summary = args[i + 1]; del args[i:i + 2]
    if "--version" in args:
        i = args.index("--version"); version = args[i + 1]; del args[i:i + 2]
    if "--date" in args:
        i = args.index("--date"); date = args[i + 1]; del args[i:i + 2]
    exe, rest = args[0], args[1:]
    cmd = rest[0] if len(rest) == 2 else None
    out = rest[-1]
    if not date:
        sde = os.environ.get("SOURCE_DATE_EPOCH")
        t = datetime.datetime.fromtimestamp(int(sde), datetime.timezone.utc) if sde else datetime.datetime.now(datetime.timezone.utc)
        date = t.strftime("%Y-%m-%d")
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1")
    top = "" if own_name else subprocess.run([exe, "--help"], capture_output=True, text=True, env=env).stdout
    summaries = dict(re.findall(r"^  (\S+)\s+(.+?)(?: \[not built\])?$", top.split("Commands:", 1)[-1], re.M)) if top else {}
    if not version:
        v = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.split()
        version = v[1] if len(v) > 1 else ""
    text = subprocess.run([exe] + ([cmd] if cmd else []) + ["--help"], capture_output=True, text=True, env=env).stdout
    if not text.strip():
        sys.exit("help2man: %s %s --help printed nothing" % (exe, cmd or ""))
    name = own_name or ("splsuite-" + cmd if cmd else "splsuite")
    summary = own_summary or (summaries.get(cmd, "") if cmd else "benchmark and conformance suite for the Splinter store protocol")
    lines = text.rstrip("\n").split("\n")

    # SYNOPSIS: the usage lines (and their continuations) at the top
    syn, i = [], 0
    while i < len(lines) and lines[i].strip():
        l = lines[i].strip()
        l = re.sub(r"^[Uu]sage:\s*", "", l)
        if syn and not l.startswith("splsuite"):
            syn[-1] += " " + l
        else:
            syn.append(l)
        i += 1
    blocks, cur = [], []
    for l in lines[i:]:
        if l.strip():
            cur.append(l)
        elif cur:
            blocks.append(cur); cur = []
    if cur:
        blocks.append(cur)

    sect = {"DESCRIPTION": [], "OPTIONS": [], "EXIT STATUS": [], "EXAMPLES": []}
    where = "DESCRIPTION"
    for b in blocks:
        first = b[0].strip()
        if re.match(r"^(examples?:?|EXAMPLES)$", first, re.I):
            where = "EXAMPLES"
            sect[where].append(("ex", [l for l in b[1:]]))
            continue
        if where == "EXAMPLES" and all(l.startswith(" ") for l in b):
            sect[where].append(("ex", b))
            continue
        if re.match(r"^(exit status|exit)\b", first, re.I):
            items = []
            for l in b[1:] if re.match(r"^(exit status|exit):\s*$", first, re.I) else []:
                m = re.match(r"^\s{1,4}(\d+)\s+(\S.*)$", l)
                if m:
                    items.append(("term", m.group(1), [m.group(2)]))
                elif items:
                    items[-1][2].append(l.strip())
            if items:  # "Exit status:" then "  0    text" lines: one tagged paragraph each
                sect["EXIT STATUS"].extend(items)
            else:
                t = " ".join(l.strip() for l in b)
                t = re.sub(r"^(exit status|exit):\s*", "", t, flags=re.I)
                sect["EXIT STATUS"].append(("p", t))
            where = "DESCRIPTION"
            continue
        # a block of options (with group headings) or of terms
        items, para = [], []
        for l in b:
            hm = HEAD.match(l)
            om = OPT.match(l)
            tm = TERM.match(l)
            if hm and not l.startswith(" "):
                if hm.group(1).lower() != "options":  # OPTIONS is the section itself
                    items.append(("ss", hm.group(1)))
            elif om and om.group(2).startswith("-"):
                opt, txt = om.group(2).strip(), om.group(3)
                m1 = OPT1.match(opt) if not txt else None
                if m1 and not m1.group(2).startswith("-"):
                    opt, txt = m1.group(1), m1.group(2)
                items.append(("tp", opt, [txt] if txt else []))
            elif tm and not para and (not items or items[-1][0] in ("tp", "term", "ss")):
                items.append(("term", tm.group(2), [tm.group(3)]))
            elif l.startswith(" ") and items and items[-1][0] in ("tp", "term"):
                items[-1][2].append(l.strip())
            else:
                if items:
                    sect_for(items, sect)
                    items = []
                para.append(l.strip())
        if para:
            sect["DESCRIPTION"].append(("p", " ".join(para)))
        if items:
            sect_for(items, sect)

    o = []
    o.append('.\\" Generated from `%s --help` by docs/man/help2man.py: edit the help text, not this file.'
             % (own_name or ("splsuite " + cmd if cmd else "splsuite")))
    o.append('.TH %s 1 "%s" "splinter-suite %s" "splinter-suite manual"' % (name.upper(), date, version))
    o.append(".SH NAME")
    o.append("%s \\- %s" % (esc(name), esc(summary)))
    o.append(".SH SYNOPSIS")
    for s in syn:
        o.append(".nf")
        o.append(line(s))
        o.append(".fi")
    for title in ("DESCRIPTION", "OPTIONS", "EXIT STATUS", "EXAMPLES"):
        body = sect[title]
        if not body:
            continue
        o.append(".SH " + title)
        for it in body:
            kind = it[0]
            if kind == "p":
                o.append(".PP")
                o.append(line(it[1]))
            elif kind == "ss":
                o.append(".SS " + line(it[1]))
            elif kind in ("tp", "term"):
                o.append(".TP")
                o.append(bold_opt(it[1]) if kind == "tp" else "\\fB%s\\fR" % esc(it[1]))
                o.append(line(" ".join(it[2])) if it[2] else "\\&")
            elif kind == "ex":
                o.append(".PP")
                o.append(".nf")
                o.append(".RS 4")
                for l in it[1]:
                    o.append(line(l.strip()) if l.strip() else "")
                o.append(".RE")
                o.append(".fi")
    if not cmd and not own_name:
        o.append(".SH COMMANDS")
        for c, s in summaries.items():
            o.append(".TP")
            o.append("\\fBsplsuite\\-%s\\fR(1)" % esc(c))
            o.append(line(s))
    o.append(".SH SEE ALSO")
    if cmd or own_name:
        o.append("\\fBsplsuite\\fR(1); the guides under /usr/share/doc/splinter-suite/ "
                 "(docs/ in the source: guide.md, spec.md, benchmarks.md, results.md, envelope.md, ci.md)")
    else:
        o.append(", ".join("\\fBsplsuite\\-%s\\fR(1)" % esc(c) for c in summaries) +
                 "; the guides under /usr/share/doc/splinter-suite/")
    with open(out, "w") as f:
        f.write("\n".join(o) + "\n")


def sect_for(items, sect):
    """Option items go to OPTIONS (with their headings), term lists to DESCRIPTION."""
    if any(k[0] == "tp" for k in items):
        sect["OPTIONS"].extend(items)
    else:
        sect["DESCRIPTION"].extend(items)


main()
