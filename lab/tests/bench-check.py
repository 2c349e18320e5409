#!/usr/bin/env python3
"""bench-check.py - judges a `splsuite bench --json` report from inside a lab guest.

  bench-check.py membind FILE NODE   every result's store placement was verified,
                                     with all its pages on NODE (bench's own count,
                                     cross-checked here against the request)
  bench-check.py matrix FILE N       the NUMA workload has all N x N
                                     (writer node, reader node) cells
  bench-check.py cells FILE N        ... and every one of them ran ok (its
                                     store placement verified by bench)

Prints "ok" or what is wrong, one line; exit 0 / 1.
"""
import json
import sys


def membind(d, node):
    res = d.get("results") or []
    if not res:
        return "no results in the report"
    if (d.get("numa") or {}).get("membind") != str(node):
        return "report says membind %r, asked %s" % ((d.get("numa") or {}).get("membind"), node)
    for r in res:
        p = (r.get("extra") or {}).get("placement")
        if r.get("status") != "ok":
            return "%s: status %s (%s)" % (r.get("name"), r.get("status"), r.get("reason"))
        if not p:
            return "%s: no placement record" % r.get("name")
        on = {int(k): v for k, v in (p.get("pages_on") or {}).items()}
        if not p.get("verified") or p.get("pages", 0) <= 0 or set(on) != {node} or on[node] != p["pages"]:
            return "%s: placement %s" % (r.get("name"), json.dumps(p))
    return "ok"


def matrix(d, n, need_ok=False):
    cells = {}
    for r in d.get("results") or []:
        if r.get("workload") != "numa":
            continue
        prm = r.get("params") or {}
        w, rd = prm.get("writer_node"), prm.get("reader_node")
        if w is None or rd is None:
            continue
        kind = prm.get("kind")
        cells.setdefault(kind, {})[(w, rd)] = r.get("status")
    if not cells:
        return "no NUMA matrix results in the report"
    want = {(w, rd) for w in range(n) for rd in range(n)}
    for kind, got in sorted(cells.items()):
        if set(got) != want:
            return "%s matrix has cells %s, want all %dx%d" % (kind, sorted(got), n, n)
        bad = sorted(c for c, s in got.items() if s != "ok")
        if need_ok and bad:
            return "%s matrix cells not ok: %s" % (kind, bad)
    return "ok"


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("membind", "matrix", "cells"):
        print(__doc__.strip().splitlines()[2])
        return 2
    try:
        d = json.load(open(sys.argv[2]))
    except (OSError, ValueError) as e:
        print("unreadable report: %s" % e)
        return 1
    node = int(sys.argv[3])
    if sys.argv[1] == "membind":
        msg = membind(d, node)
    else:
        msg = matrix(d, node, need_ok=sys.argv[1] == "cells")
    print(msg)
    return 0 if msg == "ok" else 1


sys.exit(main())
