/*
 * madvlat.h - keys of the madvise probe's maps, shared by madvlat.bpf.c and
 * trace_madvise.c.
 */
#ifndef SPLSUITE_MADVLAT_H
#define SPLSUITE_MADVLAT_H

#include "trace_hist.h"

enum { MADV_SYS_MADVISE = 0, MADV_SYS_PROCESS_MADVISE = 1 };

/* One histogram per (syscall, advice, node of the issuing CPU, process). */
struct madv_key {
    __u32 tgid;
    __s32 advice;
    __u16 node;
    __u8 syscall;  /* MADV_SYS_* */
    __u8 failed;   /* the syscall returned an error */
};

/*
 * Outcome of one splinter_madvise() call, from its uprobe/uretprobe pair and
 * the madvise syscalls the same thread made inside the call:
 *   SOVEREIGN  returned 0: the caller was the sovereign and its advice landed
 *   FAILED     returned -1 after issuing madvise (the kernel refused the advice)
 *   DEFERRED   returned -1, nothing issued, timeout 0: EAGAIN at once
 *   TIMEDOUT   returned -1, nothing issued, timeout > 0: ETIMEDOUT at the deadline
 *   REJECTED   returned -2 (caller error: no bid, shard 0, no store)
 */
enum { SPLM_SOVEREIGN = 0, SPLM_FAILED, SPLM_DEFERRED, SPLM_TIMEDOUT, SPLM_REJECTED, SPLM_NOUTCOMES };

/* what: 0 = call latency (entry to return), 1 = bidder wait (entry to the
 * first madvise syscall of the call; to the return when glibc's
 * posix_madvise issues no syscall, as for POSIX_MADV_DONTNEED) */
struct splm_key {
    __u32 tgid;
    __u32 shard;
    __u16 node;
    __u8 outcome;
    __u8 what;
};

#endif
