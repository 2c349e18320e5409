/*
 * group_commit.c - SPLINTER_FLUSH_GROUP: one fdatasync for every process
 * flushing the same store at once.
 *
 * fdatasync of the store's file makes every page of it durable, whoever
 * dirtied it; so a caller whose writes were complete before another
 * process's fdatasync *began* needs no fdatasync of its own once that one
 * succeeds. The processes share a flush sequence in the header's padding
 * (bytes 4368..4391, after the bid-table lock and change word; the original
 * never writes there; docs/reference.md):
 *
 *   started  u64  number of group flushes begun (the leader's ticket)
 *   done     u64  highest ticket whose fdatasync succeeded
 *   leader   u32  pid of the process inside fdatasync, 0 when none
 *   wake     u32  futex word, bumped when a leader finishes
 *
 * A caller reads t = started after its writes (with a full fence between):
 * any flush numbered > t began after them. It returns 0 as soon as
 * done > t; otherwise it becomes the leader (CAS leader 0 -> pid), takes
 * ticket ++started and runs fdatasync, or waits on the futex for the
 * current leader and checks again. A leader that died inside (kill(pid, 0)
 * ESRCH) is taken over at once; one that neither finishes nor dies within
 * SR_GC_WAIT_NS (stopped, a pid of another namespace, a pid recycled after a
 * crash left the word on disk) is taken over too: the caller leads beside
 * it. done only grows (the highest successful ticket), so several leaders
 * at once stay correct. A failed fdatasync leaves done alone: every waiter
 * then leads in turn and sees its own error.
 *
 * Writing these words dirties the header's second page after each flush:
 * the next flush writes that page back too (the words need no durability).
 */
#include "store.h"

#include <signal.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#define SR_GC_OFFSET 4368
/* a device flush takes milliseconds; a loaded disk, hundreds of them */
#define SR_GC_WAIT_NS (2000ull * 1000000ull)
#define SR_GC_NAP_NS (5ull * 1000000ull) /* futex timeout between looks at a silent leader */

struct sr_gc {
    _Atomic uint64_t started;
    _Atomic uint64_t done;
    _Atomic uint32_t leader;
    _Atomic uint32_t wake;
};
_Static_assert(SR_GC_OFFSET >= 4368 && SR_GC_OFFSET % 8 == 0 &&
                   SR_GC_OFFSET + sizeof(struct sr_gc) <= offsetof(struct splinter_header, shard_bids),
               "the group-commit sequence lives in the header's padding, after the bid-table lock and change word");

/* threads of this process leading a group flush now: tells a leader word
 * holding our own pid left by a dead process whose pid we reuse (0 here)
 * from another handle of ours inside fdatasync */
static _Atomic int leading_here;

static struct sr_gc *gc_of(splref_store *st) { return (struct sr_gc *)(void *)((uint8_t *)st->H + SR_GC_OFFSET); }

static int own_fdatasync(splref_store *st) { return fdatasync(st->fd) == 0 ? 0 : -errno; }

static int lead(splref_store *st, struct sr_gc *g)
{
    atomic_fetch_add(&leading_here, 1);
    /* seq_cst RMW: a full barrier, so every write made before any caller
     * read a ticket below this one is in the page cache before fdatasync */
    uint64_t ticket = atomic_fetch_add(&g->started, 1) + 1;
    int rc = own_fdatasync(st);
    if (rc == 0) {
        uint64_t d = atomic_load(&g->done);
        while (d < ticket && !atomic_compare_exchange_weak(&g->done, &d, ticket)) {}
    }
    uint32_t me = (uint32_t)getpid();
    atomic_compare_exchange_strong(&g->leader, &me, 0); /* unless a waiter gave up on us and took it */
    atomic_fetch_sub(&leading_here, 1);
    atomic_fetch_add(&g->wake, 1);
    sr_futex_wake_all(&g->wake);
    return rc;
}

int sr_group_flush(splref_store *st)
{
    struct sr_gc *g = gc_of(st);
    const uint32_t me = (uint32_t)getpid();
    /* this caller's writes (mmap stores) before the ticket read */
    atomic_thread_fence(memory_order_seq_cst);
    const uint64_t t = atomic_load(&g->started);
    const bool busy = MUTANT(group_commit_stale) && atomic_load(&g->leader) != 0;
    uint64_t deadline = sr_mono_ns() + SR_GC_WAIT_NS;
    for (;;) {
        uint32_t w = atomic_load(&g->wake);
        uint64_t d = atomic_load(&g->done);
        /* done > t: a flush that began after our writes succeeded */
        if (d > t || (busy && d == t) || (MUTANT(group_commit_early) && d == t))
            return 0;
        uint32_t h = 0;
        if (atomic_compare_exchange_strong(&g->leader, &h, me)) {
            if (atomic_load(&g->done) > t) { /* finished while we took the word */
                atomic_store_explicit(&g->leader, 0, memory_order_release);
                return 0;
            }
            return lead(st, g);
        }
        if ((h == me && atomic_load(&leading_here) == 0) || (h != me && kill((pid_t)h, 0) != 0 && errno == ESRCH)) {
            /* the leader died inside: free the word; done tells whether its flush completed */
            atomic_compare_exchange_strong(&g->leader, &h, 0);
            continue;
        }
        uint64_t now = sr_mono_ns();
        if (now >= deadline) {
            /* alive, or so it seems, and silent for SR_GC_WAIT_NS: lead
             * beside it (two fdatasyncs at once are only slower) */
            atomic_compare_exchange_strong(&g->leader, &h, 0);
            deadline = now + SR_GC_WAIT_NS;
            continue;
        }
        sr_futex_wait(&g->wake, w, deadline - now < SR_GC_NAP_NS ? deadline - now : SR_GC_NAP_NS);
    }
}
