/*
 * wait.c - how a writer waits for a slot another writer holds.
 *
 * A live writer holds a slot for a memcpy of at most max_val_sz bytes, so
 * contention clears in nanoseconds to microseconds, unless the holder was
 * descheduled or died. The wait spins with the CPU's pause hint first
 * (cheap, and the holder is likely running on the other core), then yields
 * (the holder may be waiting for this CPU), then naps 50 us at a time, and
 * gives up after SR_DEAD_NS: the caller reports EAGAIN, the original's
 * "the slot is contested" signal, now meaning "stuck" (see retrain_slot).
 * The clock and the shared futex every waiting part of the library uses
 * (madvise's bidder, group commit, the bus) live here too.
 */
#include "store.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { SPIN_ROUNDS = 12, YIELD_NS = 1000000 };

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

uint64_t sr_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void sr_futex_wait(_Atomic uint32_t *w, uint32_t val, uint64_t max_ns)
{
    struct timespec ts = {(time_t)(max_ns / 1000000000u), (long)(max_ns % 1000000000u)};
    int saved = errno;
    syscall(SYS_futex, w, FUTEX_WAIT, val, &ts, NULL, 0);
    errno = saved;
}

void sr_futex_wake_all(_Atomic uint32_t *w)
{
    int saved = errno;
    syscall(SYS_futex, w, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    errno = saved;
}

bool sr_wait_step(struct sr_wait *w)
{
    if (MUTANT(set_eagain_contended)) return false; /* the original EAGAIN on any contention */
    if (w->rounds < SPIN_ROUNDS) {
        /* 1, 2, 4 ... 64 pauses a round: ~450 pauses in all */
        unsigned n = 1u << (w->rounds < 6 ? w->rounds : 6);
        for (unsigned i = 0; i < n; i++) cpu_relax();
        w->rounds++;
        return true;
    }
    uint64_t now = sr_mono_ns();
    if (!w->t0) w->t0 = now;
    else if (now - w->t0 >= SR_DEAD_NS) return false;
    if (now - w->t0 < YIELD_NS) {
        sched_yield();
    } else {
        struct timespec nap = {0, 50000};
        nanosleep(&nap, NULL);
    }
    return true;
}

int sr_lock_wait(struct splinter_slot *s, uint64_t *out_e)
{
    struct sr_wait w = {0};
    while (sr_wait_step(&w))
        if (sr_trylock(s, out_e) == 0) return 0;
    errno = EAGAIN;
    return -1;
}

struct splinter_slot *sr_find_locked_wait(splref_store *st, const char *key, uint64_t h, long *out_idx,
                                          uint64_t *out_e)
{
    struct sr_wait w = {0};
    while (sr_wait_step(&w)) {
        /* look the key up again: an unset or a re-insert may have moved it */
        long idx = sr_find(st, key, h);
        if (idx < 0) return NULL;
        struct splinter_slot *s = &st->S[idx];
        if (sr_trylock_key(s, h, key, out_e) == 0) {
            *out_idx = idx;
            return s;
        }
    }
    errno = EAGAIN;
    return NULL;
}
