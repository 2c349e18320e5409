#!/bin/sh
# Progress goes to stderr, and only when stderr is a terminal, unless asked
# (--progress) or refused (--no-progress), as fio does: conform's line per
# rule, bench's case lines. Stdout carries the result alone either way. The
# terminal is a pty from script(1); without script that half skips.
set -u
S=$1
T=$(mktemp -d "${TMPDIR:-/tmp}/splsuite-cli-progress.XXXXXX")
trap 'rm -rf "$T"' EXIT
export SPLSUITE_STORE_PREFIX="splsuite-tp$$"
bad=0
rules='FMT-001,FMT-002'
prog_conform='^  FMT-001 +PASS +[0-9.]+s$'
prog_bench='^\[ *[0-9]+\.[0-9]s\] ops '
# bench's progress starts after 1 s (short runs stay quiet): a run that long
bench="bench ops --quick --impl ref --ops set,get,append --time 700ms"

# has REGEX FILE: a line matches (a terminal's \r-redrawn lines split apart)
has() { tr '\r' '\n' <"$2" | grep -Eq -- "$1"; }
# check NAME WANT(yes|no) REGEX FILE
check() {
  if has "$3" "$4"; then got=yes; else got=no; fi
  if [ "$got" = "$2" ]; then echo "ok: $1: progress $2"
  else echo "FAIL: $1: progress lines: $got, want $2"; sed 's/^/    /' "$4" | tail -6; bad=1; fi
}
# the result, and nothing of the progress, on stdout
clean_stdout() {
  if has "$2" "$3"; then echo "FAIL: $1: progress on stdout"; bad=1; fi
  if [ ! -s "$3" ]; then echo "FAIL: $1: nothing on stdout"; bad=1; fi
}

# stderr a file: quiet unless --progress
# shellcheck disable=SC2086
"$S" conform --rules "$rules" >"$T/o1" 2>"$T/e1"
check "conform, stderr a file" no "$prog_conform" "$T/e1"
"$S" conform --rules "$rules" --progress >"$T/o2" 2>"$T/e2"
check "conform --progress, stderr a file" yes "$prog_conform" "$T/e2"
clean_stdout "conform --progress" "$prog_conform" "$T/o2"
# shellcheck disable=SC2086
"$S" $bench >"$T/o3" 2>"$T/e3"
check "bench, stderr a file" no "$prog_bench" "$T/e3"
# shellcheck disable=SC2086
"$S" $bench --progress >"$T/o4" 2>"$T/e4"
check "bench --progress, stderr a file" yes "$prog_bench" "$T/e4"
clean_stdout "bench --progress" "$prog_bench" "$T/o4"

# stderr a terminal: progress unless --no-progress
if ! command -v script >/dev/null || ! script -qec true /dev/null >/dev/null 2>&1; then
  echo "skip (this part only): no script(1) to give stderr a terminal"
else
  script -qec "'$S' conform --rules '$rules' >'$T/o5'" /dev/null >"$T/e5" 2>&1
  check "conform, stderr a terminal" yes "$prog_conform" "$T/e5"
  clean_stdout "conform, stderr a terminal" "$prog_conform" "$T/o5"
  script -qec "'$S' conform --rules '$rules' --no-progress >'$T/o6'" /dev/null >"$T/e6" 2>&1
  check "conform --no-progress, stderr a terminal" no "$prog_conform" "$T/e6"
  script -qec "'$S' $bench --no-progress >'$T/o7'" /dev/null >"$T/e7" 2>&1
  check "bench --no-progress, stderr a terminal" no "$prog_bench" "$T/e7"
  script -qec "'$S' $bench >'$T/o8'" /dev/null >"$T/e8" 2>&1
  # on a terminal the line is redrawn in place: \r, erase, the text
  check "bench, stderr a terminal" yes "\[ *[0-9]+\.[0-9]s\] ops " "$T/e8"
  clean_stdout "bench, stderr a terminal" "$prog_bench" "$T/o8"
fi
left=$( (ls /dev/shm; ls -A "${TMPDIR:-/tmp}") 2>/dev/null | grep "^$SPLSUITE_STORE_PREFIX" || true)
[ -z "$left" ] || { echo "FAIL: stores left behind: $left"; bad=1; }
exit $bad
