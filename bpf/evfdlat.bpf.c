// SPDX-License-Identifier: Apache-2.0
/*
 * evfdlat.bpf.c - eventfd signalling latency: from the writer's write(2) on
 * an eventfd to the waiter's wake-up (sched_wakeup) and to the return of the
 * waiter's read/poll/epoll/select.
 *
 * An eventfd is recognised in the kernel, never by fd number: the fd is
 * resolved through current->files->fdt->fd[fd] and its file's f_op->write is
 * compared with eventfd_write's address (from /proc/kallsyms, passed in
 * rodata); without that address the file's dentry name "[eventfd]" (what
 * anon_inode_getfile gives every eventfd) is compared instead.
 *
 * Who was woken by the write: sched_waking fires in the waker's context, so
 * a sched_waking while the current thread is inside an eventfd write names
 * the waiter. sched_wakeup may fire on the waiter's CPU (queued wakeups), so
 * it is matched by the woken pid.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "evfdlat.h"
#include "trace_common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 eventfd_write_addr = 0; /* 0: match by name */
const volatile __u16 cpu_node[EVFD_MAX_CPUS] = {};

/* eventfd writes in progress, per writer thread */
struct inflight {
    __u64 ts;
    __u32 tgid;
    __u16 node;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10240);
    __type(key, __u32);
    __type(value, struct inflight);
} writing SEC(".maps");

/* threads blocked (or about to block) in a wait that may be on an eventfd:
 * read on an eventfd, poll/ppoll with an eventfd among the first
 * POLL_SCAN fds (or more fds than that), select and epoll (whose sets
 * cannot be read cheaply). A wake-up during an eventfd write counts only
 * for them, so interrupts that wake unrelated tasks (kworkers, timers)
 * while the writer is in write(2) are not taken for eventfd wakes. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 10240);
    __type(key, __u32);
    __type(value, __u8);
} waiters SEC(".maps");

#define POLL_SCAN 16

/* waiters woken by an eventfd write, until their wait returns */
struct pending {
    __u64 t_write;
    __u16 wnode;
    __u8 woken;
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 10240);
    __type(key, __u32);
    __type(value, struct pending);
} pendings SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct evfd_key);
    __type(value, struct trace_hist);
} hists SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32); /* writer node */
    __type(value, struct evfd_count);
} counts SEC(".maps");

static __always_inline struct evfd_count *count_of(__u32 node)
{
    struct evfd_count *c = bpf_map_lookup_elem(&counts, &node);
    if (c) return c;
    struct evfd_count z = {};
    bpf_map_update_elem(&counts, &node, &z, BPF_NOEXIST);
    return bpf_map_lookup_elem(&counts, &node);
}

static __always_inline bool is_eventfd(unsigned int fd)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
    if (!fdt) return false;
    if (fd >= BPF_CORE_READ(fdt, max_fds)) return false;
    struct file **fds = BPF_CORE_READ(fdt, fd);
    struct file *f = NULL;
    if (bpf_probe_read_kernel(&f, sizeof f, &fds[fd]) || !f) return false;
    if (eventfd_write_addr) {
        const struct file_operations *ops = BPF_CORE_READ(f, f_op);
        void *w = BPF_CORE_READ(ops, write);
        return (__u64)w == eventfd_write_addr;
    }
    const unsigned char *name = BPF_CORE_READ(f, f_path.dentry, d_name.name);
    char buf[10] = {};
    if (bpf_probe_read_kernel_str(buf, sizeof buf, name) != 10) return false;
    const char want[] = "[eventfd]";
    for (int i = 0; i < 9; i++)
        if (buf[i] != want[i]) return false;
    return true;
}

SEC("tracepoint/syscalls/sys_enter_write")
int write_enter(struct trace_event_raw_sys_enter *ctx)
{
    if (!trace_current()) return 0;
    if (!is_eventfd((unsigned int)ctx->args[0])) return 0;
    __u64 id = bpf_get_current_pid_tgid();
    __u32 tid = (__u32)id;
    struct inflight in = {.ts = bpf_ktime_get_ns(), .tgid = id >> 32, .node = bpf_get_numa_node_id()};
    bpf_map_update_elem(&writing, &tid, &in, BPF_ANY);
    struct evfd_count *c = count_of(in.node);
    if (c) __sync_fetch_and_add(&c->writes, 1);
    return 0;
}

SEC("tracepoint/syscalls/sys_exit_write")
int write_exit(struct trace_event_raw_sys_exit *ctx)
{
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    bpf_map_delete_elem(&writing, &tid);
    return 0;
}

static __always_inline void on_waking(__u32 pid)
{
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    struct inflight *in = bpf_map_lookup_elem(&writing, &tid);
    if (!in) return;
    if (!bpf_map_lookup_elem(&waiters, &pid)) return;
    struct pending p = {.t_write = in->ts, .wnode = in->node};
    bpf_map_update_elem(&pendings, &pid, &p, BPF_ANY);
    struct evfd_count *c = count_of(in->node);
    if (c) __sync_fetch_and_add(&c->wakes, 1);
}

static __always_inline void emit(void *ctx, __u32 waiter, __u64 lat, __u16 wnode, __u16 rnode, __u8 kind)
{
    if (!emit_events) return;
    struct trace_rec *e = event_reserve();
    if (!e) return;
    __u64 id = bpf_get_current_pid_tgid();
    e->ts_ns = bpf_ktime_get_ns();
    e->lat_ns = lat;
    e->pid = id >> 32;
    e->tid = (__u32)id;
    e->a = waiter;
    e->b = kind == TRACE_EV_EVENTFD_RETURN;
    e->node = wnode;
    e->node2 = rnode;
    e->kind = kind;
    bpf_get_current_comm(e->comm, sizeof e->comm);
    event_submit(ctx, e);
}

static __always_inline void on_wakeup(void *ctx, __u32 pid, int cpu)
{
    struct pending *p = bpf_map_lookup_elem(&pendings, &pid);
    if (!p || p->woken) return;
    p->woken = 1;
    __u64 lat = bpf_ktime_get_ns() - p->t_write;
    __u16 rnode = cpu >= 0 && cpu < EVFD_MAX_CPUS ? cpu_node[cpu] : 0;
    struct evfd_key k = {.wnode = p->wnode, .rnode = rnode, .what = EVFD_WAKE};
    hist_record(&hists, &k, lat);
    emit(ctx, pid, lat, p->wnode, rnode, TRACE_EV_EVENTFD_WAKE);
}

/* The CPU a task was woken onto (what the sched_wakeup event reports as
 * target_cpu): thread_info.cpu on kernels >= 5.16, task_struct.cpu before. */
struct task_struct___o {
    unsigned int cpu;
} __attribute__((preserve_access_index));

static __always_inline int task_cpu(struct task_struct *p)
{
    if (bpf_core_field_exists(p->thread_info.cpu)) return BPF_CORE_READ(p, thread_info.cpu);
    return BPF_CORE_READ((struct task_struct___o *)p, cpu);
}

/* Two flavours of each sched event: BTF-typed raw tracepoints where the
 * kernel has them, classic tracepoints otherwise; user space autoloads one. */
SEC("tp_btf/sched_waking")
int BPF_PROG(waking_btf, struct task_struct *p)
{
    on_waking(p->pid);
    return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(wakeup_btf, struct task_struct *p)
{
    on_wakeup(ctx, p->pid, task_cpu(p));
    return 0;
}

SEC("tracepoint/sched/sched_waking")
int waking_tp(struct trace_event_raw_sched_wakeup_template *ctx)
{
    on_waking(ctx->pid);
    return 0;
}

SEC("tracepoint/sched/sched_wakeup")
int wakeup_tp(struct trace_event_raw_sched_wakeup_template *ctx)
{
    on_wakeup(ctx, ctx->pid, ctx->target_cpu);
    return 0;
}

static __always_inline void wait_enter(void)
{
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    __u8 one = 1;
    bpf_map_update_elem(&waiters, &tid, &one, BPF_ANY);
}

SEC("tracepoint/syscalls/sys_enter_read")
int read_enter(struct trace_event_raw_sys_enter *ctx)
{
    if (trace_current() && is_eventfd((unsigned int)ctx->args[0])) wait_enter();
    return 0;
}

static __always_inline int poll_enter(struct pollfd *fds, __u64 nfds)
{
    if (!trace_current()) return 0;
    if (nfds > POLL_SCAN) {
        wait_enter();
        return 0;
    }
    for (int i = 0; i < POLL_SCAN; i++) {
        if (i >= nfds) break;
        int fd;
        if (bpf_probe_read_user(&fd, sizeof fd, &fds[i].fd)) break;
        if (fd >= 0 && is_eventfd(fd)) {
            wait_enter();
            break;
        }
    }
    return 0;
}

SEC("tracepoint/syscalls/sys_enter_poll")
int poll_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
    return poll_enter((struct pollfd *)ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_ppoll")
int ppoll_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
    return poll_enter((struct pollfd *)ctx->args[0], ctx->args[1]);
}

#define WAIT_ENTER(name)                                                                                 \
    SEC("tracepoint/syscalls/sys_enter_" #name)                                                          \
    int name##_enter(struct trace_event_raw_sys_enter *ctx)                                              \
    {                                                                                                    \
        if (trace_current()) wait_enter();                                                               \
        return 0;                                                                                        \
    }

WAIT_ENTER(select)
WAIT_ENTER(pselect6)
WAIT_ENTER(epoll_wait)
WAIT_ENTER(epoll_pwait)
WAIT_ENTER(epoll_pwait2)

/* The waiter's wait returned: read on the eventfd, or the poll family. */
static __always_inline int wait_exit(void *ctx)
{
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    bpf_map_delete_elem(&waiters, &tid);
    struct pending *p = bpf_map_lookup_elem(&pendings, &tid);
    if (!p || !p->woken) return 0;
    __u64 lat = bpf_ktime_get_ns() - p->t_write;
    __u16 rnode = bpf_get_numa_node_id();
    struct evfd_key k = {.wnode = p->wnode, .rnode = rnode, .what = EVFD_RETURN};
    hist_record(&hists, &k, lat);
    emit(ctx, tid, lat, p->wnode, rnode, TRACE_EV_EVENTFD_RETURN);
    bpf_map_delete_elem(&pendings, &tid);
    return 0;
}

#define WAIT_EXIT(name)                                                                                  \
    SEC("tracepoint/syscalls/sys_exit_" #name)                                                           \
    int name##_exit(struct trace_event_raw_sys_exit *ctx) { return wait_exit(ctx); }

WAIT_EXIT(read)
WAIT_EXIT(poll)
WAIT_EXIT(ppoll)
WAIT_EXIT(select)
WAIT_EXIT(pselect6)
WAIT_EXIT(epoll_wait)
WAIT_EXIT(epoll_pwait)
WAIT_EXIT(epoll_pwait2)
