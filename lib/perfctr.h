/*
 * perfctr.h - per-run counters through perf_event_open(2), as `perf stat`
 * reports them: task-clock, context-switches, page-faults, cpu-migrations,
 * and the hardware instructions/cycles where the machine has a PMU (VMs
 * and TCG often have none: those are reported "unsupported", never 0).
 *
 * An unprivileged runner (kernel.perf_event_paranoid >= 2) may not count
 * what the kernel does on its behalf: as perf stat does, the group is then
 * opened again with exclude_kernel, and the JSON says "scope": "user".
 *
 * The events form one group led by task-clock so they are scheduled on and
 * off the PMU together; each is read with its enabled/running times so a
 * multiplexed hardware count is scaled the way perf stat scales it.
 */
#ifndef SPLSUITE_PERFCTR_H
#define SPLSUITE_PERFCTR_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum spl_perf_event {
    SPL_PERF_TASK_CLOCK = 0, /* ns of CPU time */
    SPL_PERF_CONTEXT_SWITCHES,
    SPL_PERF_PAGE_FAULTS,
    SPL_PERF_CPU_MIGRATIONS,
    SPL_PERF_INSTRUCTIONS,
    SPL_PERF_CYCLES,
    SPL_PERF__COUNT
};

struct spl_perfctr {
    int fd[SPL_PERF__COUNT];
    bool supported[SPL_PERF__COUNT];
    int open_errno[SPL_PERF__COUNT];  /* why an event is unsupported */
    uint64_t value[SPL_PERF__COUNT];  /* after spl_perfctr_read, scaled */
    bool scaled[SPL_PERF__COUNT];     /* value extrapolated from multiplexing */
    bool user_only[SPL_PERF__COUNT];  /* counted without the kernel's share (perf stat's :u) */
};

/* perf stat's names: "task-clock", "context-switches", ... */
const char *spl_perf_event_name(enum spl_perf_event e);

/* Opens the group for pid (0 = this thread) on any CPU, disabled. inherit
 * counts children forked afterwards too. Returns the number of supported
 * events (0 when perf_event_open is unavailable: every event unsupported). */
int spl_perfctr_open(struct spl_perfctr *pc, pid_t pid, bool inherit);
void spl_perfctr_start(struct spl_perfctr *pc); /* reset + enable */
void spl_perfctr_stop(struct spl_perfctr *pc);
/* Reads the counters into pc->value. 0, or -1 when no event is open. */
int spl_perfctr_read(struct spl_perfctr *pc);
void spl_perfctr_close(struct spl_perfctr *pc);

/* Adds b's values into a (summing the counters of several workers). */
void spl_perfctr_add(struct spl_perfctr *a, const struct spl_perfctr *b);

/* {"task-clock": {"value": ns, "unit": "ns"}, "instructions": {"supported":
 * false, "reason": "..."}, ...}; per_op > 0 adds "per_op" = value / per_op. */
json_object *spl_perfctr_json(const struct spl_perfctr *pc, uint64_t per_op);

#endif
