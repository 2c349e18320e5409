#!/bin/bash
# bash completion of splsuite: commands, options read from --help, workloads,
# db actions, implementations (mut:NAME across the ':' word break, as
# readline splits it), file arguments. The lines are split into COMP_WORDS
# the way readline does, with ':' a word of its own.
#   test-completion.sh SPLSUITE COMPLETION_FILE
set -u
S=$1
# shellcheck source=/dev/null
source "$2"
fails=0
complete_line() { # LINE -> COMPREPLY
    COMP_LINE=$1
    COMP_POINT=${#1}
    local w=() cur="" c i
    for ((i = 0; i < ${#1}; i++)); do
        c=${1:i:1}
        if [[ $c == " " ]]; then [[ -n $cur ]] && w+=("$cur"); cur=""
        elif [[ $c == ":" ]]; then [[ -n $cur ]] && w+=("$cur"); w+=(":"); cur=""
        else cur+=$c; fi
    done
    [[ -n $cur || $1 == *" " ]] && w+=("$cur")
    COMP_WORDS=("${w[@]}")
    COMP_CWORD=$((${#w[@]} - 1))
    COMPREPLY=()
    _splsuite
}
expect() { # LINE WORD...: every WORD offered
    local line=$1 x
    shift
    complete_line "$line"
    for x in "$@"; do
        if [[ " ${COMPREPLY[*]} " != *" $x "* ]]; then
            echo "FAIL [$line] lacks '$x': ${COMPREPLY[*]:0:20}"
            fails=$((fails + 1))
        fi
    done
}
expect_none() { # LINE WORD: WORD not offered
    complete_line "$1"
    if [[ " ${COMPREPLY[*]} " == *" $2 "* ]]; then echo "FAIL [$1] offers '$2'"; fails=$((fails + 1)); fi
}
expect "$S " conform torture fsck bench plot compare db history info --help --version
expect "$S co" conform compare
expect_none "$S co" bench
expect "$S conform --" --impl --peer --rules --json --junit --list-mutants
expect "$S bench --re" --repetitions
expect "$S bench " ops wake madvise flush numa
expect "$S bench --impl " ref ref-file mut:torn_write mut-file:torn_write
expect "$S conform --impl mut:to" torn_write
expect "$S history --figure " median cpu
expect "$S db " import list rows export schema
expect "$S compare --" --threshold --alpha --markdown --old-impl
expect "$S trace " madvise eventfd merge
expect "$S help " conform bench
tmp=$(mktemp -d "${TMPDIR:-/tmp}/splsuite-comptest.XXXXXX")
touch "$tmp/a.json" "$tmp/b.txt"
expect "$S compare $tmp/" "$tmp/a.json"
expect_none "$S compare $tmp/" "$tmp/b.txt"
rm -rf "$tmp"
# every command of splsuite --help is completed
for c in $("$S" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'); do expect "$S ${c:0:2}" "$c"; done
echo "$([ $fails -eq 0 ] && echo PASS || echo FAIL): $fails failure(s)"
[ $fails -eq 0 ]
