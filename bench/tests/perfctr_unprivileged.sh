#!/bin/sh
# perf stat's fallback for unprivileged runners: under
# kernel.perf_event_paranoid >= 2 a user may not count the kernel's share,
# so the counters open again user-only (exclude_kernel) instead of failing
# (which reported cpu/op 0.0). Run as 'nobody' when root.
#   perfctr_unprivileged.sh TEST_PERFCTR
set -u
exe=$1
par=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 2)
if [ "$par" -lt 2 ]; then echo "SKIP: perf_event_paranoid=$par: an unprivileged user may count the kernel here"; exit 77; fi
if [ "$par" -ge 3 ]; then echo "SKIP: perf_event_paranoid=$par (Debian's 'no perf for users'): nothing to fall back to"; exit 77; fi
if [ "$(id -u)" -eq 0 ]; then
  command -v runuser >/dev/null 2>&1 || { echo "SKIP: runuser not found"; exit 77; }
  id nobody >/dev/null 2>&1 || { echo "SKIP: no user 'nobody'"; exit 77; }
  exec runuser -u nobody -- env SPLSUITE_EXPECT_USER_ONLY=1 "$exe"
fi
exec env SPLSUITE_EXPECT_USER_ONLY=1 "$exe"
