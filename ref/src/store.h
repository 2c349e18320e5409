/*
 * store.h - the reference library's handle and the helpers every part shares.
 *
 * One struct splref_store per open store. Everything that touches the shared
 * region takes the handle explicitly; the process-global splinter_* API is a
 * wrapper over a default handle (api.c). Fields are fixed after open except
 * the armed bus fd (atomic) and the flush state (its own mutex), so several
 * threads may share one handle.
 */
#ifndef SPLREF_STORE_H
#define SPLREF_STORE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mutant.h"
/* The library is built with -fvisibility=hidden: what the public headers
 * declare is the ABI and is exported, everything else (the sr_* helpers) is
 * internal. meson also links with a version script and -Bsymbolic-functions,
 * so calls inside the library never go through the PLT to a client's
 * function of the same name. */
#pragma GCC visibility push(default)
#include "splref.h"
#pragma GCC visibility pop
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct splref_flush_state;

struct splref_store {
    void *base;
    size_t total;
    struct splinter_header *H;
    struct splinter_slot *S;
    uint8_t *V;
    uint32_t nslots;
    uint32_t max_val;
    size_t arena;
    int fd;
    enum splref_backend backend;
    _Atomic int bus_fd; /* armed event bus fd, -1 when not armed */
    struct splref_flush_state *flush;
};

/* FNV-1a 64 over the key's first 63 bytes (the stored key's length), and
 * that length. Unrolled with the 63-byte bound tested once per 8 bytes: the
 * xor-multiply chain (4 cycles a byte) is the floor every implementation
 * pays; what is left to save is the loop's bookkeeping around it. */
#define SR_FNV_BASIS (MUTANT(wrong_hash) ? 14695981039346656036ULL : 14695981039346656037ULL)
#define SR_FNV_PRIME 1099511628211ULL
static inline __attribute__((always_inline)) uint64_t sr_hash_len(const char *key, uint32_t *len)
{
    const unsigned char *p = (const unsigned char *)key;
    uint64_t h = SR_FNV_BASIS;
    uint32_t i = 0;
#define SR_FNV_STEP(j)                                                                                 \
    do {                                                                                               \
        unsigned c_ = p[i + (j)];                                                                      \
        if (!c_) { i += (j); goto done; }                                                              \
        h = (h ^ c_) * SR_FNV_PRIME;                                                                   \
    } while (0)
    for (; i < 56; i += 8) {
        SR_FNV_STEP(0); SR_FNV_STEP(1); SR_FNV_STEP(2); SR_FNV_STEP(3);
        SR_FNV_STEP(4); SR_FNV_STEP(5); SR_FNV_STEP(6); SR_FNV_STEP(7);
    }
    for (; i < SPLINTER_KEY_MAX - 1; i++) SR_FNV_STEP(0);
#undef SR_FNV_STEP
done:
    *len = i;
    return h;
}

/* ---- bytes of the region that are copied without the seqlock's help ------
 * A seqlock reader copies value, key and embedding bytes while a writer may
 * be rewriting them, and throws the copy away when the epoch moved: that
 * race is the protocol (format-v4.md), not a bug. In a ThreadSanitizer build
 * every such copy is made of relaxed atomic accesses (8 bytes at a time
 * where the region side is aligned), so TSan sees no race in them and still
 * reports every other one; every other build uses plain memcpy/memset, the
 * same instructions as before. sr_rd copies out of the region, sr_wr into
 * it, sr_zero clears region bytes. */
#if defined(__SANITIZE_THREAD__)
#define SR_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SR_TSAN 1
#endif
#endif

#ifdef SR_TSAN
static inline void sr_rd(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    size_t i = 0;
    for (; i < n && ((uintptr_t)(s + i) & 7); i++) d[i] = __atomic_load_n(s + i, __ATOMIC_RELAXED);
    for (; i + 8 <= n; i += 8) {
        uint64_t w = __atomic_load_n((const uint64_t *)(const void *)(s + i), __ATOMIC_RELAXED);
        memcpy(d + i, &w, 8);
    }
    for (; i < n; i++) d[i] = __atomic_load_n(s + i, __ATOMIC_RELAXED);
}
static inline void sr_wr(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    size_t i = 0;
    for (; i < n && ((uintptr_t)(d + i) & 7); i++) __atomic_store_n(d + i, s[i], __ATOMIC_RELAXED);
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        __atomic_store_n((uint64_t *)(void *)(d + i), w, __ATOMIC_RELAXED);
    }
    for (; i < n; i++) __atomic_store_n(d + i, s[i], __ATOMIC_RELAXED);
}
static inline void sr_zero(void *dst, size_t n)
{
    uint8_t *d = dst;
    size_t i = 0;
    for (; i < n && ((uintptr_t)(d + i) & 7); i++) __atomic_store_n(d + i, 0, __ATOMIC_RELAXED);
    for (; i + 8 <= n; i += 8) __atomic_store_n((uint64_t *)(void *)(d + i), 0, __ATOMIC_RELAXED);
    for (; i < n; i++) __atomic_store_n(d + i, 0, __ATOMIC_RELAXED);
}
#else
static inline void sr_rd(void *dst, const void *src, size_t n) { memcpy(dst, src, n); }
static inline void sr_wr(void *dst, const void *src, size_t n) { memcpy(dst, src, n); }
static inline void sr_zero(void *dst, size_t n) { memset(dst, 0, n); }
#endif

static inline uint64_t sr_fnv1a(const char *s)
{
    uint32_t len;
    return sr_hash_len(s, &len);
}

/* Bytes of the caller's key a slot's key is compared on: the key and its
 * NUL (< 63 bytes), or the 63 bytes a slot holds. strncmp(slot, key, 63)
 * == 0 exactly when these bytes are equal. */
static inline uint32_t sr_cmp_len(uint32_t key_len)
{
    return key_len < SPLINTER_KEY_MAX - 1 ? key_len + 1 : SPLINTER_KEY_MAX - 1;
}

/* A slot with hash 0 and epoch 0 has never held a key: lookups stop there.
 * Deleted slots keep a non-zero even epoch, so chains stay intact. */
static inline bool sr_slot_virgin(const struct splinter_slot *s)
{
    return atomic_load_explicit(&s->hash, memory_order_acquire) == 0 &&
           atomic_load_explicit(&s->epoch, memory_order_acquire) == 0;
}

static inline uint64_t sr_load8(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t sr_load4(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The slot holds key: its first n = sr_cmp_len(len) bytes equal the key's.
 * Word compares, the last word overlapping the one before: never a byte of
 * the caller's string past its NUL, no call. */
static inline __attribute__((always_inline)) bool sr_key_match(const struct splinter_slot *s, const char *key, uint32_t n)
{
    if (MUTANT(slow_keycmp)) {
        volatile size_t sum = 0;
        for (size_t i = 0; i < SPLINTER_KEY_MAX && key[i]; ++i) sum = sum + (size_t)(unsigned char)key[i];
        (void)sum;
    }
#ifdef SR_TSAN
    /* the key bytes may be rewritten under us (callers confirm under the
     * epoch): in a TSan build read them with sr_rd, compare the copy */
    char kb[SPLINTER_KEY_MAX];
    sr_rd(kb, s->key, n);
    const char *a = kb;
#else
    const char *a = s->key;
#endif
    if (n >= 8) {
        for (uint32_t i = 0; i + 8 < n; i += 8)
            if (sr_load8(a + i) != sr_load8(key + i)) return false;
        return sr_load8(a + n - 8) == sr_load8(key + n - 8);
    }
    if (n >= 4) return sr_load4(a) == sr_load4(key) && sr_load4(a + n - 4) == sr_load4(key + n - 4);
    for (uint32_t i = 0; i < n; i++)
        if (a[i] != key[i]) return false;
    return true;
}

static inline bool sr_key_eq(const struct splinter_slot *s, const char *key)
{
    return sr_key_match(s, key, sr_cmp_len((uint32_t)strnlen(key, SPLINTER_KEY_MAX - 1)));
}

/* The slot of key (hash h, compared on n bytes) on its probe chain, or -1
 * with errno ENOENT: from the home slot h % slots, one slot on at a time
 * (wrapping by compare, not by a division per probe), until the key or a
 * virgin slot. */
static inline __attribute__((always_inline)) long sr_lookup(splref_store *st, const char *key, uint64_t h, uint32_t n)
{
    uint32_t ns = st->nslots;
    struct splinter_slot *S = st->S;
    size_t idx = (size_t)(h % ns);
    for (uint32_t i = 0; i < ns; ++i) {
        struct splinter_slot *s = &S[idx];
        uint64_t sh = atomic_load_explicit(&s->hash, memory_order_acquire);
        if (sh == h && sr_key_match(s, key, n)) return (long)idx;
        if (sh == 0 && atomic_load_explicit(&s->epoch, memory_order_acquire) == 0) break;
        if (++idx == ns) idx = 0;
    }
    errno = MUTANT(miss_eagain) ? EAGAIN : ENOENT;
    return -1;
}

/* Index of the slot holding key, or -1 (errno ENOENT). */
long sr_find(splref_store *st, const char *key, uint64_t h);

/* The retrain generation: a 32-bit counter in the slot's padding (bytes
 * 28..31, after user_flag; the original never writes them, a fresh store
 * has 0). retrain_slot moves the epoch *backwards* to 4, as the original
 * does, so an epoch alone cannot tell a reader that began at 4 before a
 * write and a retrain from one that saw nothing happen (ABA). Retrain bumps
 * the generation inside its odd phase; the reference's readers check it
 * with the epoch. Readers of other implementations ignore it. */
#define SR_SLOT_GEN_OFFSET 28
static inline _Atomic uint32_t *sr_gen(struct splinter_slot *s)
{
    return (_Atomic uint32_t *)(void *)((uint8_t *)s + SR_SLOT_GEN_OFFSET);
}
_Static_assert(offsetof(struct splinter_slot, user_flag) + 1 <= SR_SLOT_GEN_OFFSET &&
                   SR_SLOT_GEN_OFFSET + 4 <= offsetof(struct splinter_slot, watcher_mask),
               "the retrain generation lives in the slot's padding");

/* ---- writers' locking ---------------------------------------------------
 * A writer takes a slot's seqlock (even e -> e+1) and releases it at e+2.
 * Contention between live writers is transient: the library waits it out
 * (sr_wait_step: pause-spin, then yield, then short sleeps) and returns
 * EAGAIN only when a slot stayed locked for SR_DEAD_NS: a dead writer (or a
 * live one descheduled that long). Readers never wait: a get on an odd slot
 * is EAGAIN at once, as in the original. */
/* 100 ms: a live writer holds a slot for microseconds, but one descheduled
 * on a loaded machine can hold it for tens of milliseconds (measured: a 20 ms
 * bound failed 1 of ~20 contended unit-test runs at load 12 on 2 cores).
 * The fuzz targets build with a shorter one (ci/fuzz/meson.build): every
 * odd slot of a fuzzed image is a dead writer, 100 ms per call on it. */
#ifndef SR_DEAD_NS
#define SR_DEAD_NS (100ull * 1000000ull)
#endif

struct sr_wait {
    unsigned rounds; /* spin rounds done */
    uint64_t t0;     /* CLOCK_MONOTONIC ns of the first yield, 0 before */
};

/* One step of waiting; false once SR_DEAD_NS has passed (wait.c). */
bool sr_wait_step(struct sr_wait *w);

/* CLOCK_MONOTONIC in ns (wait.c). */
uint64_t sr_mono_ns(void);

/* A process-shared futex on a word of the region (wait.c): sleep while *w
 * == val, at most max_ns (EAGAIN, ETIMEDOUT and EINTR all just return, errno
 * kept); wake every sleeper. */
void sr_futex_wait(_Atomic uint32_t *w, uint32_t val, uint64_t max_ns);
void sr_futex_wake_all(_Atomic uint32_t *w);

/* How a reader waits for a writer inside its slot: a few rounds of the
 * CPU's pause hint (1, 2, 4 ... 32 pauses, a few hundred nanoseconds to a
 * few microseconds in all), never a syscall. A live writer leaves the slot
 * within that; one that does not (descheduled, or dead) makes the read
 * EAGAIN, the original's "try again". */
#define SR_READ_ROUNDS 6
struct sr_read_wait { unsigned rounds; };
static inline void sr_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
static inline bool sr_read_wait_step(struct sr_read_wait *w)
{
    if (w->rounds >= SR_READ_ROUNDS) return false;
    for (unsigned i = 0; i < 1u << w->rounds; i++) sr_cpu_relax();
    w->rounds++;
    return true;
}

/* Try once to take slot s: 0 with the even epoch taken in *out_e, or -1
 * with errno EAGAIN when a writer is inside. */
static inline int sr_trylock(struct splinter_slot *s, uint64_t *out_e)
{
    uint64_t e = atomic_load_explicit(&s->epoch, memory_order_relaxed);
    if (e & 1) { errno = EAGAIN; return -1; }
    if (MUTANT(skip_odd)) { *out_e = e; return 0; }
    if (!atomic_compare_exchange_strong_explicit(&s->epoch, &e, e + 1, memory_order_acq_rel,
                                                 memory_order_relaxed)) {
        errno = EAGAIN;
        return -1;
    }
    *out_e = e;
    return 0;
}

/* Take slot s, waiting out other writers: 0, or -1 EAGAIN after SR_DEAD_NS. */
int sr_lock_wait(struct splinter_slot *s, uint64_t *out_e);
static inline int sr_lock(struct splinter_slot *s, uint64_t *out_e)
{
    if (sr_trylock(s, out_e) == 0) return 0;
    return sr_lock_wait(s, out_e);
}

/* Try once to take a slot found by key and check it still holds that key:
 * an unset (or unset + reuse) may land between the lookup and the lock.
 * -1 with EAGAIN (busy) or ENOENT (the slot no longer holds key). */
static inline int sr_trylock_key_n(struct splinter_slot *s, uint64_t h, const char *key, uint32_t n, uint64_t *out_e)
{
    if (sr_trylock(s, out_e) != 0) return -1;
    if (atomic_load_explicit(&s->hash, memory_order_acquire) != h || !sr_key_match(s, key, n)) {
        atomic_store_explicit(&s->epoch, *out_e, memory_order_release);
        errno = ENOENT;
        return -1;
    }
    return 0;
}
static inline int sr_trylock_key(struct splinter_slot *s, uint64_t h, const char *key, uint64_t *out_e)
{
    return sr_trylock_key_n(s, h, key, sr_cmp_len((uint32_t)strnlen(key, SPLINTER_KEY_MAX - 1)), out_e);
}

/* Lookup + lock: the slot holding key, locked at even epoch *out_e, or NULL
 * with errno ENOENT (no such key) or EAGAIN (locked for SR_DEAD_NS). Busy
 * slots and keys that moved under the lookup are retried (kv.c). */
struct splinter_slot *sr_find_locked_wait(splref_store *st, const char *key, uint64_t h, long *out_idx,
                                          uint64_t *out_e);
static inline __attribute__((always_inline)) struct splinter_slot *sr_find_locked(splref_store *st, const char *key,
                                                                                   long *out_idx, uint64_t *out_e)
{
    uint32_t len;
    uint64_t h = sr_hash_len(key, &len);
    uint32_t n = sr_cmp_len(len);
    long idx = sr_lookup(st, key, h, n);
    if (idx < 0) return NULL;
    struct splinter_slot *s = &st->S[idx];
    if (sr_trylock_key_n(s, h, key, n, out_e) == 0) {
        *out_idx = idx;
        return s;
    }
    return sr_find_locked_wait(st, key, h, out_idx, out_e);
}

static inline void sr_unlock(struct splinter_slot *s, uint64_t e)
{
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&s->epoch, MUTANT(epoch_plus_one) ? e + 1 : e + 2, memory_order_release);
}

/* Release the lock without a completed write (abort): epoch back to e+2 so
 * readers that copied during the attempt retry. */
static inline void sr_abort(struct splinter_slot *s, uint64_t e)
{
    atomic_store_explicit(&s->epoch, e + 2, memory_order_release);
}

/* True when [off, off+len) lies inside the value arena. */
static inline bool sr_in_arena(const splref_store *st, uint64_t off, uint64_t len)
{
    return off <= st->arena && len <= st->arena - off;
}

/* Slot s's value area with room for need bytes, or NULL with errno EUCLEAN.
 * val_off is shared memory any peer may rewrite at any moment: it is read
 * exactly once, here, and only the copy that was checked becomes an address
 * (a check of s->val_off followed by a second load of it lets a peer choose
 * the address in between). Writers ask for the whole area, max_val_sz bytes,
 * because the mop scrub may run to its end; readers for what they copy. */
static inline uint8_t *sr_val_area(const splref_store *st, const struct splinter_slot *s, size_t need)
{
    uint32_t off = __atomic_load_n(&s->val_off, __ATOMIC_RELAXED);
    if (!sr_in_arena(st, off, need)) { errno = EUCLEAN; return NULL; }
    if (MUTANT(val_off_reread)) return st->V + *(const volatile uint32_t *)&s->val_off;
    return st->V + off;
}

/* Clears what the mop mode covers past a value of len bytes at dst: up to
 * the 64-byte rounding (capped at max_val_sz) in hybrid mode, to max_val_sz
 * in full mode, nothing when off. Every write that sets a length calls it,
 * so no byte an older, longer value left is exposed beyond what the mode
 * allows. */
static inline void sr_scrub_tail(const splref_store *st, uint8_t *dst, size_t len)
{
    uint8_t f = atomic_load_explicit(&st->H->core_flags, memory_order_relaxed);
    if (!(f & SPL_SYS_AUTO_SCRUB)) return;
    size_t end = st->max_val;
    if ((f & SPL_SYS_HYBRID_SCRUB) || MUTANT(full_mop_rounds)) {
        size_t r = MUTANT(hybrid_no_round) ? len : (len + 63) & ~(size_t)63;
        if (r < end) end = r;
    }
    if (end > len) sr_zero(dst + len, end - len);
}

static inline void sr_global_bump(splref_store *st)
{
    atomic_fetch_add_explicit(&st->H->epoch, 1, memory_order_relaxed);
}

/* splref_open that waits up to wait_ns while the store looks half-made
 * (its creator is still sizing or initialising it): open.c. */
splref_store *sr_open_wait(enum splref_backend be, const char *name, uint64_t wait_ns);
#define SR_CREATE_WAIT_NS (2ull * 1000000000ull)

void sr_bus_notify(splref_store *st, size_t idx);
void sr_pulse(splref_store *st, struct splinter_slot *s);
void sr_mark_dirty(splref_store *st, size_t idx); /* flush.c: remembers what this process wrote */
void sr_flush_free(splref_store *st);
int sr_flush_prepare(splref_store *st); /* 0, or -1 ENOMEM */
int sr_group_flush(splref_store *st); /* group_commit.c: 0, or -errno */
int sr_bus_fd(splref_store *st); /* an unarmed descriptor for the store eventfd */
/* Registers fd as a bus waiter (its own edge-triggered epoll, buswait.c);
 * fresh: writes before now are not reported; st (or NULL): the store whose
 * global epoch an adaptive waiter spins on (SPLREF_BUS_SPIN). 0, or -1 with errno. */
int sr_bus_watch(int fd, bool fresh, const splref_store *st);

#endif
