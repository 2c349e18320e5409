/*
 * open.c - creating, opening and validating stores.
 *
 * Open trusts nothing in the file until the geometry it claims has been
 * checked against the size the kernel reports: a truncated, hostile or
 * foreign file is refused with an errno, never read out of bounds.
 */
#include "store.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <sys/syscall.h>

/* SPLINTER_DEFAULT_UMASK (octal) applies to creation only, as in the original. */
static mode_t apply_env_umask(void)
{
    const char *env = getenv("SPLINTER_DEFAULT_UMASK");
    if (!env || !*env) return (mode_t)-1;
    char *end = NULL;
    errno = 0;
    long v = strtol(env, &end, 8);
    if (errno || end == env || *end || v < 0 || v > 0777) return (mode_t)-1;
    return umask((mode_t)v);
}

static int geometry_size(uint64_t slots, uint64_t max_val, size_t *out)
{
    if (slots == 0 || max_val == 0 || slots > UINT32_MAX || max_val > UINT32_MAX) {
        errno = EINVAL;
        return -1;
    }
    uint64_t a, b, t;
    if (__builtin_mul_overflow(slots, (uint64_t)SPLINTER_SLOT_SIZE, &a) ||
        __builtin_mul_overflow(slots, max_val, &b) || __builtin_add_overflow(a, b, &t) ||
        __builtin_add_overflow(t, (uint64_t)SPLINTER_HEADER_SIZE, &t) || t > (uint64_t)SIZE_MAX ||
        t > (uint64_t)INT64_MAX) {
        errno = EOVERFLOW;
        return -1;
    }
    *out = (size_t)t;
    return 0;
}

/* The format stores val_off in 32 bits and a fresh store puts slot i's value
 * at i * max_val_sz: every such offset must be exact, or the upper slots'
 * values would alias lower ones (the original truncates them silently). */
static bool offsets_fit(uint64_t slots, uint64_t max_val)
{
    return (slots - 1) * max_val <= UINT32_MAX;
}

static int open_fd(enum splref_backend be, const char *name, int flags)
{
    /* O_NOCTTY: a hostile path naming a terminal must not become ours */
    if (be == SPLREF_BACKEND_FILE) return open(name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0666);
    return shm_open(name, flags, 0666);
}

/* The handle keeps the geometry that was checked (or that create wrote):
 * nothing later re-reads slots or max_val_sz from the shared header, where
 * another process could have changed them since. */
static splref_store *wrap(int fd, void *base, size_t total, enum splref_backend be, uint32_t slots, uint32_t max_val)
{
    splref_store *st = calloc(1, sizeof(*st));
    if (!st) return NULL;
    st->fd = fd;
    st->base = base;
    st->total = total;
    st->backend = be;
    st->H = base;
    st->S = (struct splinter_slot *)((uint8_t *)base + SPLINTER_HEADER_SIZE);
    st->nslots = slots;
    st->max_val = max_val;
    st->V = (uint8_t *)st->S + (size_t)st->nslots * SPLINTER_SLOT_SIZE;
    st->arena = (size_t)st->nslots * st->max_val;
    atomic_init(&st->bus_fd, -1);
    if (sr_flush_prepare(st) != 0) {
        free(st);
        errno = ENOMEM;
        return NULL;
    }
    return st;
}

splref_store *splref_create(enum splref_backend be, const char *name, size_t slots, size_t max_val_sz)
{
    size_t total;
    if (!name) { errno = EINVAL; return NULL; }
    if (geometry_size(slots, max_val_sz, &total) != 0) return NULL;
    if (!offsets_fit(slots, max_val_sz) && !MUTANT(offsets_truncated)) { errno = EOVERFLOW; return NULL; }
    mode_t prev = apply_env_umask();
    int fd = open_fd(be, name, O_RDWR | O_CREAT | O_EXCL);
    int saved = errno;
    if (prev != (mode_t)-1) umask(prev);
    if (fd < 0) { errno = saved; return NULL; }

    void *base = MAP_FAILED;
    if (ftruncate(fd, (off_t)total) != 0) goto fail;
    base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) goto fail;

    /* The object is new and zero-filled: only non-zero fields need writing.
     * magic goes last so a concurrent opener never sees a half-made header. */
    struct splinter_header *H = base;
    H->version = SPLINTER_VER;
    H->slots = (uint32_t)slots;
    H->max_val_sz = (uint32_t)max_val_sz;
    H->val_sz = (uint32_t)total; /* as the original: total size, truncated */
    atomic_store_explicit(&H->epoch, 1, memory_order_relaxed);
    atomic_store_explicit(&H->core_flags, SPL_SYS_AUTO_SCRUB | SPL_SYS_HYBRID_SCRUB, memory_order_relaxed);
    for (int b = 0; b < 64; b++) atomic_store_explicit(&H->bloom_watches[b], 0xFF, memory_order_relaxed);
    atomic_store_explicit(&H->event_bus.owner_fd, -1, memory_order_relaxed);
    struct splinter_slot *S = (struct splinter_slot *)((uint8_t *)base + SPLINTER_HEADER_SIZE);
    for (size_t i = 0; i < slots; i++) {
        S[i].val_off = (uint32_t)(i * max_val_sz);
        atomic_store_explicit(&S[i].type_flag, SPL_SLOT_DEFAULT_TYPE, memory_order_relaxed);
    }
    atomic_thread_fence(memory_order_release);
    H->magic = SPLINTER_MAGIC;

    splref_store *st = wrap(fd, base, total, be, (uint32_t)slots, (uint32_t)max_val_sz);
    if (st) return st;
fail:
    saved = errno;
    if (base != MAP_FAILED) munmap(base, total);
    close(fd);
    if (be == SPLREF_BACKEND_FILE) unlink(name); else shm_unlink(name);
    errno = saved;
    return NULL;
}

/* Checks a mapped header + slot table against the real size. errno:
 * EBADMSG not a store / truncated / geometry disagrees with the size,
 * EPROTONOSUPPORT other format version, EOVERFLOW value offsets past 32 bits,
 * EUCLEAN a slot points outside the arena. */
static int validate(const void *base, size_t size, uint32_t *out_slots, uint32_t *out_max, bool *incomplete)
{
    const struct splinter_header *H = base;
    if (size < SPLINTER_HEADER_SIZE) { errno = EBADMSG; return -1; }
    /* each shared field read once: a peer may change them while we look */
    uint32_t magic = *(const volatile uint32_t *)&H->magic, version = *(const volatile uint32_t *)&H->version;
    uint32_t slots = *(const volatile uint32_t *)&H->slots, max_val = *(const volatile uint32_t *)&H->max_val_sz;
    if (magic != SPLINTER_MAGIC) { errno = EBADMSG; return -1; }
    if (version != SPLINTER_VER) { errno = EPROTONOSUPPORT; return -1; }
    size_t want;
    if (geometry_size(slots, max_val, &want) != 0) { errno = EBADMSG; return -1; }
    if (MUTANT(trust_truncated)) goto ok;
    if (want != size) { errno = EBADMSG; return -1; }
    /* a consistent store whose value offsets cannot be exact (made by an
     * implementation that truncated them) */
    if (!offsets_fit(slots, max_val)) { errno = EOVERFLOW; return -1; }
    const struct splinter_slot *S = (const void *)((const uint8_t *)base + SPLINTER_HEADER_SIZE);
    uint64_t arena = (uint64_t)slots * max_val;
    for (uint32_t i = 0; i < slots; i++) {
        uint64_t off = *(const volatile uint32_t *)&S[i].val_off;
        /* a never-used slot whose value is not yet at i * max_val_sz: the
         * store's creator (the original sets magic first, then the slots)
         * is still initialising the table */
        if (off != (uint64_t)i * max_val && atomic_load_explicit(&S[i].hash, memory_order_relaxed) == 0 &&
            atomic_load_explicit(&S[i].epoch, memory_order_relaxed) == 0)
            *incomplete = true;
        uint64_t len = atomic_load_explicit(&S[i].val_len, memory_order_relaxed);
        if (!MUTANT(get_no_bounds) && (len > max_val || off > arena || len > arena - off)) { errno = EUCLEAN; return -1; }
        /* list() hands out key pointers: every key must end inside its slot */
        if (S[i].key[SPLINTER_KEY_MAX - 1] != '\0') { errno = EUCLEAN; return -1; }
    }
ok:
    *out_slots = slots;
    *out_max = max_val;
    return 0;
}

/* One open attempt. *creating: the object looks like a store its creator
 * has not finished (too short, no magic yet, magic but no geometry, a slot
 * table still being filled in): worth another look soon. With final, a
 * store that passes every check is taken even if its table looks unfinished
 * (such a store could also just be unusual). */
static splref_store *open_once(enum splref_backend be, const char *name, bool final, bool *creating)
{
    *creating = false;
    int fd = open_fd(be, name, O_RDWR);
    if (fd < 0) return NULL;
    struct stat sb;
    void *base = MAP_FAILED;
    size_t size = 0;
    int saved;
    if (fstat(fd, &sb) != 0) goto fail;
    /* devices, FIFOs and the like: never a store (a shm name can be planted too) */
    if (!S_ISREG(sb.st_mode)) { errno = EINVAL; goto fail; }
    if (sb.st_size < (off_t)SPLINTER_HEADER_SIZE) {
        *creating = true; /* created, not yet sized */
        errno = EBADMSG;
        goto fail;
    }
    size = (size_t)sb.st_size;
    base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) goto fail;
    uint32_t slots, max_val;
    bool unfinished = false;
    if (validate(base, size, &slots, &max_val, &unfinished) != 0) {
        const struct splinter_header *H = base;
        uint32_t magic = *(const volatile uint32_t *)&H->magic;
        *creating = errno == EBADMSG && (magic == 0 || (magic == SPLINTER_MAGIC && (*(const volatile uint32_t *)&H->slots == 0 ||
                                                                                   *(const volatile uint32_t *)&H->max_val_sz == 0)));
        goto fail;
    }
    if (unfinished && !final) {
        *creating = true;
        errno = EBADMSG;
        goto fail;
    }
    splref_store *st = wrap(fd, base, size, be, slots, max_val);
    if (st) return st;
fail:
    saved = errno;
    if (base != MAP_FAILED) munmap(base, size);
    close(fd);
    errno = saved;
    return NULL;
}

splref_store *splref_open(enum splref_backend be, const char *name)
{
    if (!name) { errno = EINVAL; return NULL; }
    bool creating;
    return open_once(be, name, true, &creating);
}

/* Open a store another process may be creating right now: while it looks
 * unfinished, look again (50 us, doubling to 5 ms) for up to wait_ns, then
 * take the last answer. create_or_open / open_or_create use it: the loser of
 * a creation race must not fail because the winner is still sizing. */
splref_store *sr_open_wait(enum splref_backend be, const char *name, uint64_t wait_ns)
{
    if (!name) { errno = EINVAL; return NULL; }
    struct timespec t0, now, nap = {0, 50000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t el = (uint64_t)(now.tv_sec - t0.tv_sec) * 1000000000ull + (uint64_t)(now.tv_nsec - t0.tv_nsec);
        bool final = el >= wait_ns, creating;
        splref_store *st = open_once(be, name, final, &creating);
        if (st || !creating || final) return st;
        nanosleep(&nap, NULL);
        if (nap.tv_nsec < 5000000) nap.tv_nsec *= 2;
    }
}

void splref_close(splref_store *st)
{
    if (!st) return;
    int bfd = atomic_exchange(&st->bus_fd, -1);
    if (bfd >= 0) {
        /* the owner leaving: withdraw the published fd, or other processes
         * would pidfd_getfd whatever this fd number names next */
        int32_t fd32 = bfd, pid32 = (int32_t)getpid();
        if (atomic_load(&st->H->event_bus.owner_pid) == pid32 &&
            atomic_compare_exchange_strong(&st->H->event_bus.owner_fd, &fd32, -1))
            atomic_compare_exchange_strong(&st->H->event_bus.owner_pid, &pid32, 0);
        close(bfd);
    }
    sr_flush_free(st);
    munmap(st->base, st->total);
    if (!MUTANT(close_leaks_fd)) close(st->fd);
    free(st);
}

/* Is node one of the kernel's online NUMA nodes? /sys lists them as ranges
 * ("0", "0-3", "0,2-3"); without that file only node 0 exists. */
static bool node_online(int node)
{
    FILE *f = fopen("/sys/devices/system/node/online", "re");
    if (!f) return node == 0;
    bool found = false;
    long a, b;
    while (!found && fscanf(f, "%ld", &a) == 1) {
        b = a;
        int c = fgetc(f);
        if (c == '-') {
            if (fscanf(f, "%ld", &b) != 1) break;
            c = fgetc(f);
        }
        found = node >= a && node <= b;
        if (c != ',') break;
    }
    fclose(f);
    return found;
}

/* mbind(2) itself, not libnuma's wrapper of it: the library must load on a
 * machine without libnuma (the original needs only libc). */
int splref_bind_node(splref_store *st, int node)
{
    if (!st) { errno = EINVAL; return -1; }
    enum { SR_MPOL_BIND = 2, SR_MPOL_MF_STRICT = 1 << 0, SR_MPOL_MF_MOVE = 1 << 1 };
    /* a kernel without NUMA support answers ENOSYS to every mempolicy call */
    if (syscall(SYS_get_mempolicy, NULL, NULL, 0UL, NULL, 0UL) != 0 && errno == ENOSYS) return -1;
    if (node < 0 || node >= 4096 || !node_online(node)) { errno = EINVAL; return -1; }
    unsigned long mask[4096 / (8 * sizeof(unsigned long))] = {0};
    size_t bits = 8 * sizeof(unsigned long);
    mask[(size_t)node / bits] |= 1UL << ((size_t)node % bits);
    /* maxnode counts one past the last bit, as the kernel's get_nodes() expects */
    unsigned long maxnode = ((size_t)node / bits + 1) * bits + 1;
    long rc = MUTANT(numa_no_bind) ? 0 : syscall(SYS_mbind, st->base, st->total, (unsigned long)SR_MPOL_BIND, mask, maxnode,
                      (unsigned)(SR_MPOL_MF_STRICT | SR_MPOL_MF_MOVE));
    return rc == 0 ? 0 : -1;
}

void *splref_base(splref_store *st) { return st ? st->base : NULL; }
size_t splref_size(splref_store *st) { return st ? st->total : 0; }
int splref_fd(splref_store *st) { return st ? st->fd : -1; }
struct splinter_header *splref_header(splref_store *st) { return st ? st->H : NULL; }
struct splinter_slot *splref_slots(splref_store *st) { return st ? st->S : NULL; }
uint8_t *splref_values(splref_store *st) { return st ? st->V : NULL; }
