# bash completion for splsuite(1) -*- shell-script -*-
# Installed by meson install into bash-completion's completions directory.
# Commands and options are read from splsuite's own --help (the one source),
# implementations from `splsuite conform --list-mutants`; nothing is listed
# here by hand that the program already says. Needs no bash-completion helpers.

_splsuite_help_words()  # EXE [CMD]: every --option / -x its --help names
{
    "$@" --help 2>/dev/null | grep -oE -- '(^|[][ ,|(])--?[a-zA-Z][a-zA-Z0-9-]*' | sed -E 's/^[][ ,|(]//' | sort -u
}

_splsuite_commands()
{
    "$1" --help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'
}

_splsuite_impls()
{
    local m
    m=$("$1" conform --list-mutants 2>/dev/null | awk 'NR > 1 && $2 != "" { print $2 }')
    printf '%s\n' ref ref-file
    for x in $m; do printf 'mut:%s\nmut-file:%s\n' "$x" "$x"; done
}

# COMPREPLY from a word list, for a word that may hold ':' (a COMP_WORDBREAKS
# character): complete the whole word, then cut what bash already shows.
_splsuite_reply()  # CUR WORDS...
{
    local cur=$1; shift
    local IFS=$'\n'
    COMPREPLY=($(compgen -W "$*" -- "$cur"))
    if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
        local pre=${cur%"${cur##*:}"} i
        for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=${COMPREPLY[i]#"$pre"}; done
    fi
}

_splsuite_files()  # CUR [GLOB]
{
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$1"))
    [[ -n $2 ]] && COMPREPLY=($(compgen -f -X "!$2" -- "$1") $(compgen -d -- "$1"))
}

_splsuite()
{
    local exe=${COMP_WORDS[0]} cur prev cmd="" i pos=0
    # the word under the cursor, whole (':' splits COMP_WORDS)
    local line=${COMP_LINE:0:COMP_POINT}
    cur=${line##*[[:space:]]}
    # the COMP_WORDS the current word spans (mut:x is "mut" ":" "x")
    local cw=$COMP_CWORD acc=${COMP_WORDS[COMP_CWORD]}
    while [[ $acc != "$cur" ]] && ((cw > 1)); do
        ((cw--))
        acc=${COMP_WORDS[cw]}$acc
    done
    prev=${COMP_WORDS[cw-1]}
    for ((i = 1; i < cw; i++)); do
        case ${COMP_WORDS[i]} in
        -*) ;;
        *) if [[ -z $cmd ]]; then cmd=${COMP_WORDS[i]}; else ((pos++)); fi ;;
        esac
    done
    if [[ -z $cmd ]]; then
        _splsuite_reply "$cur" $(_splsuite_commands "$exe") --help --version
        return
    fi
    case $prev in
    -i | --impl | --peer) _splsuite_reply "$cur" $(_splsuite_impls "$exe")
        [[ $cur == */* || $cur == .* ]] && _splsuite_files "$cur" '*.so*'
        return ;;
    --db) _splsuite_files "$cur"; return ;;
    -o | --output | --out | --json-out | --tap | --junit | --bmf | --dir | --cache | --kernel | --modules | --baselines | --hotpaths)
        _splsuite_files "$cur"; return ;;
    -f | --format) _splsuite_reply "$cur" svg png; return ;;
    --figure) _splsuite_reply "$cur" median cpu; return ;;
    --lane) _splsuite_reply "$cur" deterministic timing all; return ;;
    --accel) _splsuite_reply "$cur" auto kvm tcg; return ;;
    esac
    if [[ $cur == -* ]]; then
        _splsuite_reply "$cur" $(_splsuite_help_words "$exe" "$cmd")
        return
    fi
    case $cmd in
    bench) _splsuite_reply "$cur" ops wake madvise flush numa ;;
    trace) if ((pos == 0)); then _splsuite_reply "$cur" madvise eventfd merge; else _splsuite_files "$cur" '*.json'; fi ;;
    db) if ((pos == 0)); then _splsuite_reply "$cur" import list rows export schema; else _splsuite_files "$cur" '*.json'; fi ;;
    compare | plot) _splsuite_files "$cur" '*.json' ;;
    fsck) _splsuite_files "$cur" ;;
    help) _splsuite_reply "$cur" $(_splsuite_commands "$exe") ;;
    lab) _splsuite_reply "$cur" $(_splsuite_commands "$exe") ;;
    esac
}
complete -F _splsuite splsuite
