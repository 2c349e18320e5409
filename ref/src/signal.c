/*
 * signal.c - labels, watches, signal groups, tandem keys and the event bus.
 */
#include "store.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

void sr_pulse(splref_store *st, struct splinter_slot *s)
{
    if (!MUTANT(no_pulse)) {
        uint64_t mask = atomic_load_explicit(&s->watcher_mask, memory_order_acquire);
        while (mask) {
            int g = __builtin_ctzll(mask);
            mask &= mask - 1;
            atomic_fetch_add_explicit(&st->H->signal_groups[g].counter, 1, memory_order_release);
        }
    }
    if (!MUTANT(label_no_pulse)) {
        uint64_t bloom = atomic_load_explicit(&s->bloom, memory_order_acquire);
        while (bloom) {
            int b = __builtin_ctzll(bloom);
            bloom &= bloom - 1;
            uint8_t g = atomic_load_explicit(&st->H->bloom_watches[b], memory_order_acquire);
            if (g < SPLINTER_MAX_GROUPS)
                atomic_fetch_add_explicit(&st->H->signal_groups[g].counter, 1, memory_order_release);
        }
    }
}

void splref_pulse_watchers(splref_store *st, struct splinter_slot *slot)
{
    /* As in the original, the caller vouches for the pointer: it may come from
     * the caller's own mapping of the same store, not only from ours. */
    if (!st || !slot) return;
    sr_pulse(st, slot);
}

static int label_change(splref_store *st, const char *key, uint64_t mask, bool set)
{
    if (!st || !key) return -2;
    long idx = sr_find(st, key, sr_fnv1a(key));
    if (idx < 0) return -1;
    struct splinter_slot *s = &st->S[idx];
    if (set) atomic_fetch_or_explicit(&s->bloom, mask, memory_order_release);
    else atomic_fetch_and_explicit(&s->bloom, ~mask, memory_order_release);
    sr_global_bump(st);
    sr_bus_notify(st, (size_t)idx);
    sr_mark_dirty(st, (size_t)idx);
    return 0;
}

int splref_set_label(splref_store *st, const char *key, uint64_t mask) { return label_change(st, key, mask, true); }
int splref_unset_label(splref_store *st, const char *key, uint64_t mask) { return label_change(st, key, mask, false); }

static int tandem_name(char *out, const char *base, unsigned i)
{
    int n = snprintf(out, SPLINTER_KEY_MAX, "%s%s%u", base, SPL_ORDER_ACCESSOR, i);
    if (n < 0 || n >= SPLINTER_KEY_MAX) { errno = ENAMETOOLONG; return -1; }
    return 0;
}

/* mut:tandem_unlocked_orders: an existing order overwritten in place, without its seqlock */
static bool overwrite_unlocked(splref_store *st, const char *key, const void *val, size_t len)
{
    long idx = sr_find(st, key, sr_fnv1a(key));
    if (idx < 0 || len > st->max_val || !sr_in_arena(st, st->S[idx].val_off, len)) return false;
    memcpy(st->V + st->S[idx].val_off, val, len);
    atomic_store(&st->S[idx].val_len, (uint32_t)len);
    return true;
}

/* mut:tandem_last_deferred: the last order is written at the next call (write-behind) */
static bool defer_last(splref_store *st, const char *key, const void *val, size_t len)
{
    static char pkey[SPLINTER_KEY_MAX];
    static uint8_t pval[4096];
    static size_t plen;
    if (len > sizeof pval) return false;
    if (plen) splref_set(st, pkey, pval, plen);
    snprintf(pkey, sizeof pkey, "%s", key);
    memcpy(pval, val, len);
    plen = len;
    return true;
}

int splref_set_tandem(splref_store *st, const char *base_key, const void **vals, const size_t *lens, uint8_t orders)
{
    if (!st || !base_key || !vals || !lens) return -2;
    /* orders counts the base key too; 0 writes the base alone, as the original does */
    char name[SPLINTER_KEY_MAX];
    if (splref_set(st, base_key, vals[0], lens[0]) != 0) return -1;
    for (unsigned i = 1; i < orders; i++) {
        if (tandem_name(name, base_key, i) != 0) return -1;
        if (MUTANT(tandem_unlocked_orders) && overwrite_unlocked(st, name, vals[i], lens[i])) continue;
        if (MUTANT(tandem_last_deferred) && i + 1 == orders && defer_last(st, name, vals[i], lens[i])) continue;
        if (splref_set(st, name, vals[i], lens[i]) != 0) return -1;
    }
    return 0;
}

void splref_unset_tandem(splref_store *st, const char *base_key, uint8_t orders)
{
    if (!st || !base_key) return;
    char name[SPLINTER_KEY_MAX];
    splref_unset(st, base_key);
    for (unsigned i = 1; i < orders; i++)
        if (tandem_name(name, base_key, i) == 0) splref_unset(st, name);
}

static int watch_change(splref_store *st, const char *key, uint8_t group, bool reg)
{
    if (!st || !key) return -2;
    if (group >= SPLINTER_MAX_GROUPS) { errno = EINVAL; return -2; }
    long idx = sr_find(st, key, sr_fnv1a(key));
    if (idx < 0) return -1;
    struct splinter_slot *s = &st->S[idx];
    if (reg) atomic_fetch_or_explicit(&s->watcher_mask, 1ULL << group, memory_order_release);
    else atomic_fetch_and_explicit(&s->watcher_mask, ~(1ULL << group), memory_order_release);
    sr_mark_dirty(st, (size_t)idx);
    return 0;
}

int splref_watch_register(splref_store *st, const char *key, uint8_t g) { return watch_change(st, key, g, true); }
int splref_watch_unregister(splref_store *st, const char *key, uint8_t g) { return watch_change(st, key, g, false); }

int splref_watch_label_register(splref_store *st, uint64_t bloom_mask, uint8_t group_id)
{
    if (!st) return -2;
    if (group_id >= SPLINTER_MAX_GROUPS) { errno = EINVAL; return -2; }
    for (int b = 0; b < 64; b++)
        if (bloom_mask & (1ULL << b)) atomic_store_explicit(&st->H->bloom_watches[b], group_id, memory_order_release);
    return 0;
}

int splref_pulse_keygroup(splref_store *st, const char *key)
{
    if (!st || !key) return -2;
    long idx = sr_find(st, key, sr_fnv1a(key));
    if (idx < 0) return -1;
    sr_pulse(st, &st->S[idx]);
    if (MUTANT(pulse_keygroup_twice)) sr_pulse(st, &st->S[idx]);
    return 0;
}

uint64_t splref_get_signal_count(splref_store *st, uint8_t group_id)
{
    if (!st || group_id >= SPLINTER_MAX_GROUPS) return 0;
    return atomic_load_explicit(&st->H->signal_groups[group_id].counter, memory_order_acquire);
}

/* One look at slot s inside its read window (epoch and retrain generation
 * unchanged across it): true with the key copied into key, the epoch in *e
 * and whether the slot holds a key in *live; false when a writer was inside
 * or came by. */
static inline bool key_in_window(struct splinter_slot *s, char *key, uint64_t *e, bool *live)
{
    uint32_t gen = atomic_load_explicit(sr_gen(s), memory_order_acquire);
    *e = atomic_load_explicit(&s->epoch, memory_order_acquire);
    if (*e & 1) return false;
    *live = atomic_load_explicit(&s->hash, memory_order_acquire) != 0;
    if (!MUTANT(enum_shared_key)) sr_rd(key, s->key, SPLINTER_KEY_MAX);
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&s->epoch, memory_order_relaxed) == *e &&
           atomic_load_explicit(sr_gen(s), memory_order_relaxed) == gen;
}

/* A slot a writer is in: look again (~450 pauses, then about 20 yields); a
 * slot that stays held that long (a writer that died there) is left out. */
static __attribute__((noinline)) void enumerate_contended(struct splinter_slot *s,
                                                          void (*cb)(const char *, uint64_t, void *), void *data)
{
    char key[SPLINTER_KEY_MAX];
    struct sr_wait w = {0};
    uint64_t e;
    bool live;
    for (int tries = 0; tries < 32; tries++) {
        sr_wait_step(&w);
        if (!key_in_window(s, key, &e, &live)) continue;
        key[SPLINTER_KEY_MAX - 1] = '\0';
        if (live) cb(MUTANT(enum_shared_key) ? s->key : key, e, data);
        return;
    }
}

/* The callback gets a copy of the key taken inside the slot's read window,
 * never the shared bytes: an insert or unset rewriting the key meanwhile
 * would hand it a mix of two keys, or one with no terminator. The label
 * test is outside the window, as labels change without the seqlock.
 * Each copy is handed over one matching slot later: a callback that reads
 * its key at once (string functions load 32 bytes at a time) would find
 * the copy's 16-byte stores still in the store buffer, which cannot forward
 * to a wider load, and stall on every key (2x the original's time). The
 * order of the calls is the slots' order still. */
void splref_enumerate_matches(splref_store *st, uint64_t mask, void (*cb)(const char *, uint64_t, void *), void *data)
{
    if (!st || !cb) return;
    /* the geometry is the handle's, fixed: read once, not after every callback */
    struct splinter_slot *S = st->S;
    uint32_t ns = st->nslots;
    char keys[2][SPLINTER_KEY_MAX];
    unsigned cur = 0;    /* the buffer the next copy goes to */
    bool pending = false; /* keys[cur ^ 1] holds a key not yet handed over, of epoch pe */
    uint64_t pe = 0;
    for (uint32_t i = 0; i < ns; i++) {
        struct splinter_slot *s = &S[i];
        if (MUTANT(slow_scan)) sr_mutant_slow_pass(s->key, SPLINTER_KEY_MAX);
        if (atomic_load_explicit(&s->hash, memory_order_relaxed) == 0) continue;
        uint64_t bloom = atomic_load_explicit(&s->bloom, memory_order_acquire);
        if (!(MUTANT(enum_any_bit) ? (bloom & mask) != 0 || !mask : (bloom & mask) == mask)) continue;
        uint64_t e = 0;
        bool live = false;
        char *key = keys[cur];
        if (__builtin_expect(!key_in_window(s, key, &e, &live), 0) || MUTANT(enum_shared_key)) {
            if (pending) cb(keys[cur ^ 1], pe, data), pending = false;
            if (MUTANT(enum_shared_key)) { if (live) cb(s->key, e, data); }
            else enumerate_contended(s, cb, data);
            continue;
        }
        if (!live) continue;
        key[SPLINTER_KEY_MAX - 1] = '\0';
        if (pending) cb(keys[cur ^ 1], pe, data);
        pe = e;
        pending = true;
        cur ^= 1;
    }
    if (pending) cb(keys[cur ^ 1], pe, data);
}

/* ---- event bus ----------------------------------------------------------- */

void sr_bus_notify(splref_store *st, size_t idx)
{
    int fd = atomic_load_explicit(&st->bus_fd, memory_order_acquire);
    if (fd < 0) return;
    size_t m = idx % (SPLINTER_EVENT_BUS_MASK_WORDS * 64);
    if (!MUTANT(bus_no_dirty))
        atomic_fetch_or_explicit(&st->H->event_bus.dirty_mask[m / 64], 1ULL << (m % 64), memory_order_release);
    uint64_t one = 1;
    ssize_t w = write(fd, &one, sizeof one);
    (void)w; /* EAGAIN only when the counter is saturated: waiters are awake anyway */
}

/* ---- who the bus is -------------------------------------------------------
 * The header names the bus by owner_pid/owner_fd, and anyone who can write
 * the store can write those: a planted pair would have us fetch any
 * descriptor of any process we may ptrace and write 8 bytes into it on
 * every set. So a descriptor is used only if it is an eventfd (fdinfo says
 * eventfd-count; without /proc, at least an anonymous inode, not a pipe,
 * socket or file) and, when it comes from another process, that process
 * has this very store mapped (its /proc/PID/maps names our device and
 * inode), checked while our pidfd proves the pid was not reused. */
static bool is_eventfd(int fd)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0 || (sb.st_mode & S_IFMT) != 0) return false; /* anon inodes have no type */
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0) return true; /* no /proc: the anonymous inode is all we can check */
    ssize_t n = read(f, buf, sizeof buf - 1);
    close(f);
    if (n <= 0) return false;
    buf[n] = '\0';
    return strstr(buf, "\neventfd-count:") != NULL;
}

/* Does process pid map the store st (same device and inode)? */
static bool maps_store(splref_store *st, pid_t pid)
{
    struct stat sb;
    if (fstat(st->fd, &sb) != 0) return false;
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) return false;
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned maj, min;
        unsigned long long ino;
        if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &min, &ino) == 3)
            found = ino == (unsigned long long)sb.st_ino && maj == major(sb.st_dev) && min == minor(sb.st_dev);
        /* a line longer than the buffer: skip its rest */
        while (!strchr(line, '\n') && fgets(line, sizeof line, f)) {}
    }
    fclose(f);
    return found;
}

/* A descriptor for the store's eventfd, not armed (madvise uses this).
 * errno: ENODEV no bus, EBADFD the header names something that is not an
 * eventfd, ESRCH the process it names is not a user of this store. */
int sr_bus_fd(splref_store *st)
{
    int32_t ofd = atomic_load_explicit(&st->H->event_bus.owner_fd, memory_order_acquire);
    int32_t opid = atomic_load_explicit(&st->H->event_bus.owner_pid, memory_order_acquire);
    if (ofd < 0 || opid <= 0) { errno = ENODEV; return -1; }
    int fd;
    if ((pid_t)opid == getpid()) {
        fd = fcntl(ofd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) return -1;
    } else {
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_getfd)
        int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)opid, 0);
        if (pidfd < 0) return -1;
        fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)ofd, 0);
        /* the maps are read by pid: the pidfd still naming a live process
         * afterwards proves that pid was the same process all along */
        bool owner = fd >= 0 && (MUTANT(bus_trusts_owner) || (maps_store(st, (pid_t)opid) &&
                                                                  syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0));
        int saved = errno;
        close(pidfd);
        if (fd < 0) { errno = saved; return -1; }
        if (!owner) {
            close(fd);
            errno = ESRCH;
            return -1;
        }
#else
        errno = ENOSYS;
        return -1;
#endif
    }
    if (!MUTANT(bus_trusts_owner) && !is_eventfd(fd)) {
        close(fd);
        errno = EBADFD;
        return -1;
    }
    return fd;
}

static void arm(splref_store *st, int fd)
{
    int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) return;
    int expected = -1;
    if (!atomic_compare_exchange_strong(&st->bus_fd, &expected, dup_fd)) close(dup_fd);
}

/* A new bus. The armed descriptor may be in use by other threads' notify
 * (a write() in flight): it is never closed here. A first bus is installed
 * by CAS; a later one replaces the file behind the same descriptor number
 * (dup3 is atomic), so a notifier writes to the old eventfd or the new one,
 * never to whatever file reused a closed number. */
int splref_event_bus_init(splref_store *st)
{
    if (!st) { if (!MUTANT(bus_no_store_errno)) errno = EINVAL; return -1; } /* no store open */
    int fd = eventfd(0, EFD_CLOEXEC);
    if (fd < 0) return -1;
    int cur = atomic_load_explicit(&st->bus_fd, memory_order_acquire), pub;
    for (;;) {
        if (MUTANT(bus_init_closes_old)) {
            int old = atomic_exchange(&st->bus_fd, fd);
            if (old >= 0) close(old);
            pub = fd;
            break;
        }
        if (cur < 0) {
            if (!atomic_compare_exchange_weak(&st->bus_fd, &cur, fd)) continue;
            pub = fd;
            break;
        }
        if (dup3(fd, cur, O_CLOEXEC) < 0) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        close(fd);
        pub = cur;
        break;
    }
    atomic_store_explicit(&st->H->event_bus.owner_fd, pub, memory_order_release);
    atomic_store_explicit(&st->H->event_bus.owner_pid, (int32_t)getpid(), memory_order_release);
    return 0;
}

/* Unlike the original, a process that opens the bus is armed too: its own
 * writes notify waiters, not only the owner's. */
int splref_event_bus_open(splref_store *st)
{
    if (!st) { if (!MUTANT(bus_no_store_errno)) errno = EINVAL; return -1; } /* no store open */
    int fd = sr_bus_fd(st);
    if (fd < 0) return -1;
    /* a waiter's own epoll instance: every later write wakes it (buswait.c) */
    if (sr_bus_watch(fd, true, st) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    arm(st, fd);
    return fd;
}

void splref_event_bus_get_dirty(splref_store *st, uint64_t *out, size_t words)
{
    if (!st || !out) return;
    size_t n = words < SPLINTER_EVENT_BUS_MASK_WORDS || MUTANT(dirty_overrun) ? words : SPLINTER_EVENT_BUS_MASK_WORDS;
    for (size_t i = 0; i < n; i++)
        out[i] = atomic_load_explicit(&st->H->event_bus.dirty_mask[i], memory_order_acquire);
}
