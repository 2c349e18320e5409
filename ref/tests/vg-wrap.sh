#!/bin/sh
# vg-wrap.sh VALGRIND PROG [ARGS...] - run PROG under valgrind memcheck and
# fail if any process of the run reported an error.
#
# Criterion runs every test in a worker process and does not turn a worker's
# valgrind --error-exitcode into a failure (measured with Criterion 2.4.1:
# an invalid read and a definite leak in two tests, run exit status 0). So
# every traced process logs to its own file and this script reads the
# ERROR SUMMARY lines itself. Used as the exe_wrapper of the 'valgrind' test
# setup: meson test --setup valgrind --suite ref
# System tools a traced program execs are not traced either.
set -u
vg=$1
shift
# A shell-script test runs system tools (whose leaks are not ours) and may
# need the loader untouched (LD_TRACE_LOADED_OBJECTS): run the script as is
# and let it put $SPLSUITE_VG in front of the project program it runs.
case "$(basename "$1")" in
sh | dash | bash)
    SPLSUITE_VG="$0 $vg"
    export SPLSUITE_VG
    exec "$@"
    ;;
esac
logs=$(mktemp -d "${TMPDIR:-/tmp}/splsuite-vg.XXXXXX")
trap 'rm -rf "$logs"' EXIT INT TERM
CRITERION_JOBS=${CRITERION_JOBS:-1} "$vg" --trace-children=yes --trace-children-skip='/usr/bin/*,/bin/*' --child-silent-after-fork=no \
    --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --log-file="$logs/vg.%p.log" "$@"
rc=$?
bad=$(grep -l 'ERROR SUMMARY: [1-9]' "$logs"/vg.*.log 2>/dev/null)
n=$(ls "$logs" | wc -l)
if [ -n "$bad" ]; then
    for f in $bad; do
        echo "---- valgrind: $f" >&2
        cat "$f" >&2
    done
    echo "valgrind: errors in $(echo "$bad" | wc -l) of $n processes" >&2
    exit 1
fi
echo "valgrind: $n processes, no errors"
exit $rc
