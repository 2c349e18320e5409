#!/bin/sh
# A broken implementation is a finding (error row, exit 1), never a number:
# the reference's fault-injection builds must make the bench fail.
#   mut:no_pulse          writes never pulse signal groups -> signal wake cannot complete
#   mut-file:wrong_hash   slots hashed off-format -> the flush workload cannot find dirty ranges
S="$1"
fails=0
run() { # run MUTANT EXPECTED-TEXT ARGS...
    m=$1; want=$2; shift 2
    out=$("$S" bench "$@" --quick --impl "$m" --no-progress 2>&1); rc=$?
    if [ $rc -eq 2 ] && echo "$out" | grep -q "impl"; then echo "SKIP: $m not built"; exit 77; fi
    if [ $rc -ne 1 ] || ! echo "$out" | grep -q "$want"; then
        echo "FAIL: bench $* --impl $m: exit $rc (expected 1) or no '$want' in:"; echo "$out" | tail -5
        fails=$((fails + 1))
    fi
}
run mut:no_pulse "never counted" wake
run mut-file:wrong_hash "not found in the slot table" flush --strategy msync --dirty 1
[ $fails -eq 0 ] && echo "PASS: broken implementations are reported as errors" || exit 1
