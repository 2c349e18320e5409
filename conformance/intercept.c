/*
 * intercept.c - observing what an implementation does below its API.
 *
 * madvise: counted where it reaches the kernel, never by symbol
 * interposition (a library loaded with RTLD_DEEPBIND, one linked statically
 * against its libc, or a runtime that issues the syscall itself would slip
 * past an interposed posix_madvise). A perf tracepoint counter on
 * syscalls:sys_enter_madvise, opened for the rule's own process with
 * inherit (forked workers count too), filtered on the advice value when the
 * kernel takes the filter. The tracepoint id comes from tracefs; when tracefs
 * is not mounted and we are root, the rule's process mounts it in a private
 * mount namespace of its own (nothing changes for the rest of the machine).
 * The counter proves itself before it is trusted: one madvise(2) of our own
 * must count exactly once.
 *
 * glibc's posix_madvise(POSIX_MADV_DONTNEED) issues no syscall at all (it
 * would discard data, which POSIX does not allow), so the rules advise
 * WILLNEED, which always reaches the kernel.
 *
 * rdtsc: PR_SET_TSC(PR_TSC_SIGSEGV) makes the instruction fault in this
 * process; the SIGSEGV handler decodes rdtsc/rdtscp at the faulting pc and
 * answers with a clock the rule sets, so expiry can be tested at the exact
 * tick. Only used inside a rule's own child process.
 */
#include "conform.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static int mad_fd = -1;

static int tracepoint_id(const char *dir)
{
    char p[256];
    snprintf(p, sizeof p, "%s/events/syscalls/sys_enter_madvise/id", dir);
    FILE *f = fopen(p, "re");
    if (!f) return -1;
    int id = -1;
    if (fscanf(f, "%d", &id) != 1) id = -1;
    fclose(f);
    return id;
}

static int find_tracepoint(char *why, size_t len)
{
    static const char *const dirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
    for (int i = 0; i < 2; i++) {
        int id = tracepoint_id(dirs[i]);
        if (id >= 0) return id;
    }
    struct stat sb;
    if (stat("/sys/kernel/tracing/events", &sb) == 0) {
        snprintf(why, len, "tracefs has no syscalls:sys_enter_madvise (kernel without CONFIG_FTRACE_SYSCALLS?)");
        return -1;
    }
    if (geteuid() != 0) {
        snprintf(why, len, "tracefs is not mounted and we are not root (mount -t tracefs nodev /sys/kernel/tracing)");
        return -1;
    }
    /* our own mount namespace: the mount ends with this process */
    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0) {
        snprintf(why, len, "tracefs is not mounted and mounting it in a private namespace failed: %s", strerror(errno));
        return -1;
    }
    int id = tracepoint_id("/sys/kernel/tracing");
    if (id < 0) snprintf(why, len, "tracefs mounted, but it has no syscalls:sys_enter_madvise");
    return id;
}

int madvise_counter_open(int advice, char *why, size_t len)
{
    madvise_counter_close();
    int id = find_tracepoint(why, len);
    if (id < 0) return -1;
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.type = PERF_TYPE_TRACEPOINT;
    a.size = sizeof a;
    a.config = (uint64_t)id;
    a.disabled = 1;
    a.inherit = 1; /* forked workers count too */
    int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
        snprintf(why, len, "perf_event_open(syscalls:sys_enter_madvise): %s", strerror(errno));
        return -1;
    }
    char filter[64];
    snprintf(filter, sizeof filter, "behavior == %d", advice);
    bool filtered = ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter) == 0; /* else every madvise counts */
    mad_fd = fd;
    /* prove it: one madvise of ours with that advice counts exactly once */
    long pg = sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned long n = 0;
    if (p != MAP_FAILED) {
        madvise_counter_reset();
        syscall(SYS_madvise, p, (size_t)pg, advice);
        n = madvise_counter_get();
        munmap(p, (size_t)pg);
    }
    if (n != 1) {
        snprintf(why, len, "the madvise tracepoint counter is not in effect (one madvise(2) counted %lu times%s)", n,
                 filtered ? "" : ", unfiltered");
        madvise_counter_close();
        return -1;
    }
    madvise_counter_reset();
    return 0;
}

void madvise_counter_reset(void)
{
    if (mad_fd < 0) return;
    ioctl(mad_fd, PERF_EVENT_IOC_DISABLE, 0);
    ioctl(mad_fd, PERF_EVENT_IOC_RESET, 0);
    ioctl(mad_fd, PERF_EVENT_IOC_ENABLE, 0);
}

unsigned long madvise_counter_get(void)
{
    uint64_t v = 0;
    if (mad_fd < 0 || read(mad_fd, &v, sizeof v) != (ssize_t)sizeof v) return 0;
    return (unsigned long)v;
}

void madvise_counter_close(void)
{
    if (mad_fd >= 0) close(mad_fd);
    mad_fd = -1;
}

/* ---- fake rdtsc ------------------------------------------------------------ */

static _Atomic uint64_t fake_now;

#if defined(__x86_64__) && defined(PR_SET_TSC)
static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    uint8_t *pc = (uint8_t *)uc->uc_mcontext.gregs[REG_RIP];
    int len = 0;
    if (pc[0] == 0x0f && pc[1] == 0x31) len = 2;                        /* rdtsc */
    else if (pc[0] == 0x0f && pc[1] == 0x01 && pc[2] == 0xf9) len = 3;  /* rdtscp */
    if (!len) { /* a real fault: die of it */
        signal(sig, SIG_DFL);
        (void)si;
        return;
    }
    uint64_t v = atomic_load(&fake_now);
    uc->uc_mcontext.gregs[REG_RAX] = (greg_t)(v & 0xffffffffu);
    uc->uc_mcontext.gregs[REG_RDX] = (greg_t)(v >> 32);
    if (len == 3) uc->uc_mcontext.gregs[REG_RCX] = 0;
    uc->uc_mcontext.gregs[REG_RIP] += len;
}

int fakeclock_install(uint64_t start)
{
    atomic_store(&fake_now, start);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    if (sigaction(SIGSEGV, &sa, NULL) != 0) return -1;
    if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0) return -1;
    return 0;
}
#else
int fakeclock_install(uint64_t start)
{
    (void)start;
    return -1;
}
#endif

void fakeclock_set(uint64_t now) { atomic_store(&fake_now, now); }
