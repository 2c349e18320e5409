#!/bin/sh
# measure-overhead.sh - what the probes cost: `splsuite bench madvise` and
# `splsuite bench wake` with and without `splsuite trace` attached
# system-wide, interleaved (off, on, off, on, ...) so drift hits both
# sides alike. Prints, per benchmark case, the median over rounds of the
# bench's own median with the probes off and on, and their ratio.
#
# usage: [PROBES="madvise madvise+uprobe eventfd bench-trace"] bpf/measure-overhead.sh SPLSUITE [ROUNDS] [BENCH-ARGS...]
# needs root (the probes) and jq. Example:
#   nice bpf/measure-overhead.sh build/cli/splsuite 5
set -eu
splsuite=${1:?usage: $0 SPLSUITE [ROUNDS]}
rounds=${2:-5}
[ $# -ge 2 ] && shift 2 || shift 1
command -v jq >/dev/null || { echo "measure-overhead: needs jq" >&2; exit 77; }
tmp=$(mktemp -d /tmp/splsuite-bpf-overhead.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# start a probe, wait until it is attached (its "Tracing" line), run, stop it
with_probe() { # probe-args... -- bench-args...
    probe=""
    while [ "$1" != "--" ]; do probe="$probe $1"; shift; done
    shift
    "$splsuite" trace $probe -d 600s >/dev/null 2>"$tmp/probe.err" &
    ppid=$!
    i=0
    until grep -q Tracing "$tmp/probe.err" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 100 ] || ! kill -0 $ppid 2>/dev/null; then
            cat "$tmp/probe.err" >&2
            echo "measure-overhead: the probe did not start" >&2
            exit 77
        fi
        sleep 0.1
    done
    "$splsuite" bench "$@" || echo "measure-overhead: bench failed with the probe on (rows with errors are left out)" >&2
    kill -INT $ppid
    wait $ppid || true
}

run() { # label bench-args... (probe: $probe_args)
    label=$1; shift
    for r in $(seq 1 "$rounds"); do
        "$splsuite" bench "$@" --json --no-progress -o "$tmp/$label.off.$r.json" >/dev/null ||
            echo "measure-overhead: bench failed with the probe off (rows with errors are left out)" >&2
        with_probe $probe_args -- "$@" --json --no-progress -o "$tmp/$label.on.$r.json" >/dev/null
        echo "round $r/$rounds of $label done" >&2
    done
}

# the embedded mode: the same bench with and without its own --trace (probes
# filtered to the case's workers)
run_embedded() { # label bench-args...
    label=$1; shift
    for r in $(seq 1 "$rounds"); do
        "$splsuite" bench "$@" --json --no-progress -o "$tmp/$label.off.$r.json" >/dev/null ||
            echo "measure-overhead: bench failed without --trace" >&2
        "$splsuite" bench "$@" --trace --json --no-progress -o "$tmp/$label.on.$r.json" >/dev/null ||
            echo "measure-overhead: bench failed with --trace" >&2
        echo "round $r/$rounds of $label done" >&2
    done
}

summarize() { # label
    jq -s -r --arg lbl "$1" '
      def med: sort | if length % 2 == 1 then .[length/2|floor] else (.[length/2-1] + .[length/2]) / 2 end;
      [ .[] | .side as $s | .doc.results[] | select(.status == "ok") | {case: (.workload + " " + .name), side: $s, v: .median} ]
      | group_by(.case)[]
      | { case: .[0].case,
          off: ([ .[] | select(.side == "off") | .v ] | med),
          on:  ([ .[] | select(.side == "on") | .v ] | med) }
      | "\($lbl)\t\(.case)\t\(.off)\t\(.on)\t\((.on / .off * 1000 | round) / 1000)"' \
      $(for f in "$tmp/$1".*.json; do
            [ -s "$f" ] || continue
            side=$(basename "$f" .json | awk -F. "{print \$(NF-1)}")
            jq -c --arg s "$side" '{side: $s, doc: .}' "$f" > "$f.tagged"
            echo "$f.tagged"
        done)
}

# PROBES selects what to measure (default: the three system-wide probes;
# bench-trace = `splsuite bench --trace`, probes on the workers only)
printf 'probe\tcase\tmedian off (ns)\tmedian on (ns)\ton/off\n'
for p in ${PROBES:-madvise madvise+uprobe eventfd}; do
    case $p in
    madvise) probe_args="madvise"; run madvise madvise --impl ref -r 3 "$@"; summarize madvise ;;
    madvise+uprobe) probe_args="madvise --impl ref"; run madvise+uprobe madvise --impl ref -r 3 "$@"; summarize madvise+uprobe ;;
    eventfd) probe_args="eventfd"; run eventfd wake --impl ref --pin -r 3 "$@"; summarize eventfd ;;
    bench-trace) run_embedded bench-trace madvise wake --impl ref --pin -r 3 "$@"; summarize bench-trace ;;
    *) echo "measure-overhead: unknown probe '$p' in PROBES" >&2; exit 2 ;;
    esac
done
