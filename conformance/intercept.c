/*
 * intercept.c - observing what an implementation does below its API.
 *
 * posix_madvise: splsuite is linked with export_dynamic, so this definition
 * is the one every dlopen'ed implementation binds to (undefined symbols of a
 * library resolve through the global scope, the executable first). Each call
 * is counted in shared memory (forked workers count too) and forwarded.
 *
 * rdtsc: PR_SET_TSC(PR_TSC_SIGSEGV) makes the instruction fault in this
 * process; the SIGSEGV handler decodes rdtsc/rdtscp at the faulting pc and
 * answers with a clock the rule sets, so expiry can be tested at the exact
 * tick. Only used inside a rule's own child process.
 */
#include "conform.h"

#include <dlfcn.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <ucontext.h>

static _Atomic unsigned long *calls;

int posix_madvise(void *addr, size_t len, int advice);
int posix_madvise(void *addr, size_t len, int advice)
{
    static int (*real)(void *, size_t, int);
    if (!real) *(void **)&real = dlsym(RTLD_NEXT, "posix_madvise");
    if (calls) atomic_fetch_add(calls, 1);
    return real ? real(addr, len, advice) : 0;
}

bool madvise_counter_active(void)
{
    void *sym = dlsym(RTLD_DEFAULT, "posix_madvise");
    return sym == (void *)posix_madvise;
}

void madvise_counter_reset(void)
{
    if (!calls) calls = spl_shared_alloc(sizeof *calls);
    if (calls) atomic_store(calls, 0);
}

unsigned long madvise_counter_get(void) { return calls ? atomic_load(calls) : 0; }

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
