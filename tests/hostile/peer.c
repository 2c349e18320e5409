/*
 * peer.c - guarded mappings and the re-read trap (see peer.h).
 *
 * The program that links this defines mmap and munmap itself (and is linked
 * with -rdynamic): the library under test calls libc's mmap through its PLT,
 * so it gets ours, which places shared mappings between guards. Everything
 * else goes straight to the kernel.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "peer.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <unistd.h>

#define GUARD_BEFORE ((size_t)1 << 20)
#define GUARD_AFTER ((size_t)9 << 30)

struct guarded {
    uint8_t *resv, *base; /* the reservation and the store inside it */
    size_t resv_len, len;
};
static struct guarded g_maps[64];
static struct { int pending; size_t off, size; uint8_t hostile[8]; } g_onmap;
static void arm_on_map(uint8_t *base);
static int g_nmaps, g_guard;
static uint8_t *g_last_base;
static size_t g_last_len;

static void *raw_mmap(void *a, size_t l, int prot, int flags, int fd, off_t off)
{
    return (void *)syscall(SYS_mmap, a, l, prot, flags, fd, off);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (!g_guard || addr || fd < 0 || !(flags & MAP_SHARED) || g_nmaps == 64)
        return raw_mmap(addr, len, prot, flags, fd, off);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), rl = (len + pg - 1) & ~(pg - 1);
    size_t total = GUARD_BEFORE + rl + GUARD_AFTER;
    uint8_t *r = raw_mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED) return MAP_FAILED;
    void *p = raw_mmap(r + GUARD_BEFORE, len, prot, flags | MAP_FIXED, fd, off);
    if (p == MAP_FAILED) {
        syscall(SYS_munmap, r, total);
        return MAP_FAILED;
    }
    g_maps[g_nmaps++] = (struct guarded){r, p, total, len};
    g_last_base = p;
    g_last_len = len;
    if (g_onmap.pending && g_onmap.off + g_onmap.size <= len) arm_on_map(p);
    return p;
}

int munmap(void *addr, size_t len)
{
    for (int i = 0; i < g_nmaps; i++) {
        if (g_maps[i].base == addr) {
            int rc = (int)syscall(SYS_munmap, g_maps[i].resv, g_maps[i].resv_len);
            g_maps[i] = g_maps[--g_nmaps];
            return rc;
        }
    }
    return (int)syscall(SYS_munmap, addr, len);
}

void peer_guard_on(void) { g_guard = 1; }
void peer_guard_off(void) { g_guard = 0; }
void peer_guard_last(void **base, size_t *len)
{
    *base = g_last_base;
    *len = g_last_len;
}

/* ---- the re-read trap ---------------------------------------------------- */

static struct {
    volatile int armed;
    uint8_t *page, *field;
    size_t pagesz, size;
    uint8_t legit[8], hostile[8];
    int reads;
} T;

static void say(const char *s) { (void)!write(2, s, strlen(s)); }

static void say_hex(uintptr_t v)
{
    char b[19] = "0x", t[16];
    int n = 0;
    do t[n++] = "0123456789abcdef"[v & 15];
    while ((v >>= 4) && n < 16);
    for (int i = 0; i < n; i++) b[2 + i] = t[n - 1 - i];
    b[2 + n] = '\0';
    say(b);
}

static void wild(uint8_t *a)
{
    for (int i = 0; i < g_nmaps; i++) {
        struct guarded *m = &g_maps[i];
        if (a >= m->resv && a < m->resv + m->resv_len) {
            say("peer: WILD ACCESS at ");
            say_hex((uintptr_t)a);
            if (a >= m->base + m->len) {
                say(", ");
                say_hex((uintptr_t)(a - (m->base + m->len)));
                say(" bytes past the end of the store mapping\n");
            } else {
                say(", ");
                say_hex((uintptr_t)(m->base - a));
                say(" bytes before the store mapping\n");
            }
            _exit(PEER_EXIT_WILD);
        }
    }
    say("peer: SIGSEGV at ");
    say_hex((uintptr_t)a);
    say(" (outside every store mapping and its guards)\n");
    _exit(PEER_EXIT_WILD);
}

#if defined(__x86_64__)
#define TRAP_FLAG 0x100
static void set_tf(void *uc, bool on)
{
    greg_t *efl = &((ucontext_t *)uc)->uc_mcontext.gregs[REG_EFL];
    if (on) *efl |= TRAP_FLAG;
    else *efl &= ~(greg_t)TRAP_FLAG;
}
#else
static void set_tf(void *uc, bool on) { (void)uc, (void)on; }
#endif

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    uint8_t *a = si->si_addr;
    if (T.armed && a >= T.page && a < T.page + T.pagesz) {
        mprotect(T.page, T.pagesz, PROT_READ | PROT_WRITE);
        /* an access starting inside the field (a wider load that starts
         * before it is not counted: that errs towards a weaker test, never
         * a false finding) */
        if (a >= T.field && a < T.field + T.size) {
            T.reads++;
            const uint8_t *v = T.reads == 1 ? T.legit : T.hostile;
            for (size_t i = 0; i < T.size; i++) ((volatile uint8_t *)T.field)[i] = v[i];
        }
        set_tf(uc, true);
        return;
    }
    wild(a);
}

static void on_trap(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si;
    set_tf(uc, false);
    if (T.armed) mprotect(T.page, T.pagesz, PROT_NONE);
}

void peer_handlers_install(void)
{
    static int done;
    if (done) return;
    done = 1;
    static uint8_t altstack[65536];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sa.sa_sigaction = on_trap;
    sigaction(SIGTRAP, &sa, NULL);
}

bool peer_trap_supported(void)
{
#if defined(__x86_64__) && defined(__linux__)
    return true;
#else
    return false;
#endif
}

void peer_trap(void *field, size_t size, const void *legit, const void *hostile)
{
    peer_handlers_install();
    T.pagesz = (size_t)sysconf(_SC_PAGESIZE);
    T.field = field;
    T.size = size;
    T.page = (uint8_t *)((uintptr_t)field & ~(uintptr_t)(T.pagesz - 1));
    memcpy(T.legit, legit, size);
    memcpy(T.hostile, hostile, size);
    T.reads = 0;
    memcpy(field, legit, size);
    T.armed = 1;
    mprotect(T.page, T.pagesz, PROT_NONE);
}

void peer_trap_on_map(size_t off, size_t size, const void *hostile)
{
    g_onmap.pending = 1;
    g_onmap.off = off;
    g_onmap.size = size;
    memcpy(g_onmap.hostile, hostile, size);
}

static void arm_on_map(uint8_t *base)
{
    uint8_t legit[8];
    g_onmap.pending = 0;
    memcpy(legit, base + g_onmap.off, g_onmap.size);
    peer_trap(base + g_onmap.off, g_onmap.size, legit, g_onmap.hostile);
}

int peer_trap_off(void)
{
    T.armed = 0;
    mprotect(T.page, T.pagesz, PROT_READ | PROT_WRITE);
    return T.reads;
}
