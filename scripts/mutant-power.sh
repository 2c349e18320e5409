#!/bin/sh
# Statistical power of the race rules: how often ONE default run of a rule
# catches the mutant made for it. For each mutant of the matrix whose rule is
# in FAMILIES, runs `splsuite conform --impl mut:NAME --rules RULE --seed S`
# for S = 1..RUNS and prints one markdown row per mutant: caught k of RUNS.
#   scripts/mutant-power.sh [-n RUNS] [-f FAMILIES] [-b BUILD] [-m NAME,...]
# FAMILIES: egrep alternation over rule ids (default SEQ|LIN|ATM|WAK|DWR|LCY).
# Exit 0 when every mutant was caught in >= 95 % of its runs, 1 otherwise,
# 2 on usage errors. Each run is a separate process; a run that ERRORs
# (exit 2: the machine) is counted apart, not as a catch or a miss.
set -u
runs=20 fam='SEQ|LIN|ATM|WAK|DWR|LCY' build=build only=''
usage() { echo "usage: $0 [-n RUNS] [-f FAMILIES] [-b BUILD] [-m NAME,...]" >&2; exit 2; }
while getopts n:f:b:m:h o; do
  case $o in
  n) case $OPTARG in ''|*[!0-9]*) echo "$0: -n: not a number: '$OPTARG'" >&2; exit 2 ;; esac; runs=$OPTARG ;;
  f) fam=$OPTARG ;;
  b) build=$OPTARG ;;
  m) only=",$OPTARG," ;;
  *) usage ;;
  esac
done
[ "$runs" -ge 1 ] 2>/dev/null || usage
spl="$build/cli/splsuite"
[ -x "$spl" ] || { echo "$0: $spl not built (-b BUILD)" >&2; exit 2; }
list="$("$spl" conform --list-mutants | awk -v f="^($fam)" 'NR > 1 && $3 ~ f {print $2, $3}')"
[ -n "$list" ] || { echo "$0: no mutant's rule matches '$fam'" >&2; exit 2; }
echo "| mutant | rule | caught | runs | errors | seconds per run |"
echo "|---|---|---|---|---|---|"
tally="$(mktemp)" || exit 2
trap 'rm -f "$tally"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
echo "$list" | while read -r name rule; do
  case $only in ''|*,"$name",*) ;; *) continue ;; esac
  k=0 err=0 t0=$(date +%s) s=1
  while [ $s -le "$runs" ]; do
    "$spl" conform --impl "mut:$name" --rules "$rule" --seed "$s" --no-progress >/dev/null 2>&1
    case $? in 1) k=$((k + 1)) ;; 0) ;; 130|143) exit 130 ;; *) err=$((err + 1)) ;; esac
    s=$((s + 1))
  done
  echo "| $name | $rule | $k | $runs | $err | $(( ($(date +%s) - t0) / runs )) |"
  echo "$name $k" >>"$tally"
done || exit $?
weak=0
for r in $(awk -v n="$runs" '$2 * 100 < n * 95 {print $1}' "$tally"); do
  echo "$0: caught in fewer than 95 % of the runs: $r" >&2; weak=1
done
exit $weak
