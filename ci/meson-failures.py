#!/usr/bin/env python3
"""meson-failures.py TESTLOG.json - name every meson test that did not pass
(FAIL, TIMEOUT, UNEXPECTEDPASS, ERROR) with the tail of its output.

scripts/test.sh prints this last, so a CI log cut to its tail still says
which test failed and why (the meson table itself scrolls out of it)."""
import json
import sys

BAD = {"FAIL", "TIMEOUT", "UNEXPECTEDPASS", "ERROR"}
TAIL = 25


def main(argv):
    if len(argv) != 2:
        print("usage: meson-failures.py TESTLOG.json", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8", errors="replace") as f:
            rows = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as e:
        print(f"meson-failures: {argv[1]}: {e}", file=sys.stderr)
        return 1
    bad = [r for r in rows if r.get("result") in BAD]
    for r in bad:
        print(f"--- {r['name']}: {r['result']} after {r.get('duration', 0):.1f} s "
              f"(exit {r.get('returncode')})")
        out = ((r.get("stdout") or "") + (r.get("stderr") or "")).rstrip("\n").split("\n")
        for line in out[-TAIL:]:
            print(f"    {line}")
    names = " ".join(r["name"].split(" / ")[-1] for r in bad)
    print(f"meson test: {len(bad)} of {len(rows)} did not pass{': ' + names if bad else ''}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
