/*
 * perfctr.c - a perf_event_open group (see perfctr.h).
 */
#include "perfctr.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
    const char *name;
    uint32_t type;
    uint64_t config;
} events[SPL_PERF__COUNT] = {
    [SPL_PERF_TASK_CLOCK] = {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
    [SPL_PERF_CONTEXT_SWITCHES] = {"context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
    [SPL_PERF_PAGE_FAULTS] = {"page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
    [SPL_PERF_CPU_MIGRATIONS] = {"cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
    [SPL_PERF_INSTRUCTIONS] = {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    [SPL_PERF_CYCLES] = {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
};

const char *spl_perf_event_name(enum spl_perf_event e)
{
    return e >= 0 && e < SPL_PERF__COUNT ? events[e].name : "?";
}

static int open_one(int i, pid_t pid, int group_fd, bool inherit, bool user_only)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = events[i].type;
    a.config = events[i].config;
    a.disabled = group_fd < 0; /* the leader gates the group */
    a.inherit = inherit;
    a.exclude_hv = 1;
    a.exclude_kernel = user_only;
    a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    return (int)syscall(SYS_perf_event_open, &a, pid, -1, group_fd, PERF_FLAG_FD_CLOEXEC);
}

int spl_perfctr_open(struct spl_perfctr *pc, pid_t pid, bool inherit)
{
    memset(pc, 0, sizeof *pc);
    for (int i = 0; i < SPL_PERF__COUNT; i++) pc->fd[i] = -1;
    /* An opt-out for emulated guests: enabling perf events patches kernel
     * text on every CPU, which has stalled loaded multi-CPU TCG guests. */
    const char *off = getenv("SPLSUITE_NO_PERF");
    if (off && *off && strcmp(off, "0") != 0) {
        for (int i = 0; i < SPL_PERF__COUNT; i++) pc->open_errno[i] = ECANCELED;
        return 0;
    }
    /* kernel and user, else user only (perf stat's fallback when paranoid) */
    bool user_only = false;
    int leader = open_one(SPL_PERF_TASK_CLOCK, pid, -1, inherit, false);
    if (leader < 0 && (errno == EACCES || errno == EPERM)) {
        user_only = true;
        leader = open_one(SPL_PERF_TASK_CLOCK, pid, -1, inherit, true);
    }
    if (leader < 0) {
        int e = errno;
        for (int i = 0; i < SPL_PERF__COUNT; i++) pc->open_errno[i] = e;
        return 0;
    }
    pc->fd[SPL_PERF_TASK_CLOCK] = leader;
    pc->supported[SPL_PERF_TASK_CLOCK] = true;
    pc->user_only[SPL_PERF_TASK_CLOCK] = user_only;
    int n = 1;
    for (int i = 1; i < SPL_PERF__COUNT; i++) {
        bool uo = user_only;
        int fd = open_one(i, pid, leader, inherit, uo);
        if (fd < 0 && !uo && (errno == EACCES || errno == EPERM)) fd = open_one(i, pid, leader, inherit, uo = true);
        pc->user_only[i] = uo;
        if (fd < 0) {
            pc->open_errno[i] = errno;
            continue;
        }
        pc->fd[i] = fd;
        pc->supported[i] = true;
        n++;
    }
    return n;
}

void spl_perfctr_start(struct spl_perfctr *pc)
{
    int l = pc->fd[SPL_PERF_TASK_CLOCK];
    if (l < 0) return;
    ioctl(l, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
    ioctl(l, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
}

void spl_perfctr_stop(struct spl_perfctr *pc)
{
    int l = pc->fd[SPL_PERF_TASK_CLOCK];
    if (l >= 0) ioctl(l, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP);
}

int spl_perfctr_read(struct spl_perfctr *pc)
{
    int got = 0;
    for (int i = 0; i < SPL_PERF__COUNT; i++) {
        pc->value[i] = 0;
        pc->scaled[i] = false;
        if (pc->fd[i] < 0) continue;
        uint64_t v[3];
        if (read(pc->fd[i], v, sizeof v) != (ssize_t)sizeof v) continue;
        /* v = {value, time_enabled, time_running}: scale as perf stat does */
        if (v[2] && v[2] < v[1]) {
            pc->value[i] = (uint64_t)((double)v[0] * (double)v[1] / (double)v[2]);
            pc->scaled[i] = true;
        } else {
            pc->value[i] = v[0];
        }
        got++;
    }
    return got ? 0 : -1;
}

void spl_perfctr_close(struct spl_perfctr *pc)
{
    for (int i = SPL_PERF__COUNT - 1; i >= 0; i--)
        if (pc->fd[i] >= 0) {
            close(pc->fd[i]);
            pc->fd[i] = -1;
        }
}

void spl_perfctr_add(struct spl_perfctr *a, const struct spl_perfctr *b)
{
    for (int i = 0; i < SPL_PERF__COUNT; i++) {
        if (!b->supported[i]) {
            if (!a->supported[i] && !a->open_errno[i]) a->open_errno[i] = b->open_errno[i];
            continue;
        }
        a->supported[i] = true;
        a->value[i] += b->value[i];
        a->scaled[i] |= b->scaled[i];
        a->user_only[i] |= b->user_only[i];
    }
}

json_object *spl_perfctr_json(const struct spl_perfctr *pc, uint64_t per_op)
{
    json_object *o = json_object_new_object();
    for (int i = 0; i < SPL_PERF__COUNT; i++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "supported", json_object_new_boolean(pc->supported[i]));
        if (pc->supported[i]) {
            json_object_object_add(e, "value", json_object_new_uint64(pc->value[i]));
            if (i == SPL_PERF_TASK_CLOCK) json_object_object_add(e, "unit", json_object_new_string("ns"));
            if (pc->scaled[i]) json_object_object_add(e, "scaled", json_object_new_boolean(true));
            json_object_object_add(e, "scope", json_object_new_string(pc->user_only[i] ? "user" : "user+kernel"));
            if (per_op) json_object_object_add(e, "per_op", json_object_new_double((double)pc->value[i] / (double)per_op));
        } else {
            int err = pc->open_errno[i];
            const char *why = err == ENOENT || err == EOPNOTSUPP || err == ENODEV
                                  ? "not supported on this machine (no PMU event)"
                                  : err == EACCES || err == EPERM ? "not permitted (perf_event_paranoid)"
                                  : err == ECANCELED ? "disabled by SPLSUITE_NO_PERF"
                                                                  : err ? strerror(err) : "not opened";
            json_object_object_add(e, "reason", json_object_new_string(why));
        }
        json_object_object_add(o, events[i].name, e);
    }
    return o;
}
