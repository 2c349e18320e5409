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
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

/* SPLINTER_DEFAULT_UMASK (octal, 0..0777) replaces the process umask for
 * the creation only, as in the original: 1 with the mask in *out, 0 when it
 * is not set, -1 EINVAL when it is not a valid mask (the original ignores
 * such a value silently and creates with the process umask: a typo in a
 * variable meant to restrict access would widen it). The mask is applied by
 * fchmod on the unnamed inode, never by changing the process umask, which
 * other threads may be creating files under. */
static int env_umask(mode_t *out)
{
    const char *env = getenv("SPLINTER_DEFAULT_UMASK");
    if (!env || !*env) return 0;
    char *end = NULL;
    errno = 0;
    long v = strtol(env, &end, 8);
    /* octal digits only: no sign, no blanks strtol would skip */
    if (strspn(env, "01234567") != strlen(env) || errno || end == env || *end || v < 0 || v > 0777) {
        if (MUTANT(umask_invalid_ignored)) return 0;
        errno = EINVAL;
        return -1;
    }
    *out = (mode_t)v;
    return 1;
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

/* SPLINTER_NO_SYMLINKS=1 (file backend): refuse a symlink anywhere along
 * the store's path, not only as its last component (which is always
 * refused), so a directory someone else can replace by a link cannot
 * redirect a create or an open. ELOOP. */
static bool no_symlinks(void)
{
    const char *e = getenv("SPLINTER_NO_SYMLINKS");
    return e && *e && strcmp(e, "0") != 0 && !MUTANT(no_symlinks_ignored);
}

/* The directory dir, with no symlink on the way: openat2 RESOLVE_NO_SYMLINKS,
 * or (kernel before 5.6, or a seccomp filter refusing it) a walk from / or
 * . one component at a time, each opened O_PATH | O_NOFOLLOW and checked to
 * be a directory. */
static int open_dir_nofollow(const char *dir)
{
#ifdef SYS_openat2
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
    int fd = (int)syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof how);
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) return fd;
#endif
    char buf[PATH_MAX];
    if (strlen(dir) >= sizeof buf) { errno = ENAMETOOLONG; return -1; }
    snprintf(buf, sizeof buf, "%s", dir);
    int cur = open(buf[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    char *save = NULL;
    for (char *c = strtok_r(buf, "/", &save); c && cur >= 0; c = strtok_r(NULL, "/", &save)) {
        if (!strcmp(c, ".")) continue;
        int next = openat(cur, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat sb;
        if (next >= 0 && fstat(next, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
            close(next);
            next = -1;
            errno = S_ISLNK(sb.st_mode) ? ELOOP : ENOTDIR;
        }
        int saved = errno;
        close(cur);
        errno = saved;
        cur = next;
    }
    return cur;
}

/* dirname of a file path into dir, and where its last component starts */
static int split_path(const char *name, char *dir, size_t dlen, const char **base)
{
    const char *slash = strrchr(name, '/');
    *base = slash ? slash + 1 : name;
    if (!**base) { errno = EISDIR; return -1; }
    size_t n = slash ? (size_t)(slash - name) : 0;
    if (n >= dlen) { errno = ENAMETOOLONG; return -1; }
    if (slash && n == 0) snprintf(dir, dlen, "/");
    else if (!slash) snprintf(dir, dlen, ".");
    else memcpy(dir, name, n), dir[n] = '\0';
    return 0;
}

static int open_fd(enum splref_backend be, const char *name, int flags)
{
    /* O_NOCTTY: a hostile path naming a terminal must not become ours */
    if (be == SPLREF_BACKEND_FILE && no_symlinks()) {
        char dir[PATH_MAX];
        const char *base;
        if (split_path(name, dir, sizeof dir, &base) != 0) return -1;
        int dfd = open_dir_nofollow(dir);
        if (dfd < 0) return -1;
        int fd = openat(dfd, base, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0666);
        int saved = errno;
        close(dfd);
        errno = saved;
        return fd;
    }
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

/* ---- where a new store is made, and how it is put in place ---------------
 * A store is built where nobody can see it (an O_TMPFILE inode of the
 * store's directory, or on a filesystem without O_TMPFILE a hidden
 * ".splref-tmp-*" name), with every block allocated, and linked under its
 * name only when complete. So a create that fails or is killed leaves
 * nothing at the name (no EEXIST or EBADMSG later), and no write into the
 * store can ever SIGBUS on a full filesystem: ENOSPC comes from create. */
struct place {
    int dirfd;
    const char *base; /* the entry's name in dirfd */
    char tmp[NAME_MAX + 1]; /* the hidden name, when there is no O_TMPFILE */
};

/* The store's directory and entry. shm names follow glibc's shm_open: one
 * component after any leading slashes, not "." or "..", in /dev/shm. */
static int place_open(enum splref_backend be, const char *name, struct place *pl)
{
    char dir[PATH_MAX];
    pl->tmp[0] = '\0';
    if (be == SPLREF_BACKEND_FILE) {
        if (split_path(name, dir, sizeof dir, &pl->base) != 0) return -1;
        if (no_symlinks()) {
            if (strlen(pl->base) > NAME_MAX) { errno = ENAMETOOLONG; return -1; }
            pl->dirfd = open_dir_nofollow(dir);
            return pl->dirfd < 0 ? -1 : 0;
        }
    } else {
        while (*name == '/') name++;
        if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) { errno = EINVAL; return -1; }
        pl->base = name;
        snprintf(dir, sizeof dir, "/dev/shm");
    }
    if (strlen(pl->base) > NAME_MAX) { errno = ENAMETOOLONG; return -1; }
    pl->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return pl->dirfd < 0 ? -1 : 0;
}

/* An unnamed inode in the store's directory (or a hidden name there). */
static int place_tmpfile(struct place *pl, mode_t mode)
{
    if (MUTANT(create_race_transient)) {
        /* the original's create in place: sized and filled under its name,
         * where a racing opener can see it half-made (the "temporary" name
         * is the name itself, linked already) */
        snprintf(pl->tmp, sizeof pl->tmp, "%s", pl->base);
        int fd = openat(pl->dirfd, pl->base, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
        if (fd < 0) pl->tmp[0] = '\0';
        return fd;
    }
    int fd = openat(pl->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    for (unsigned i = 0; i < 16; i++) {
        snprintf(pl->tmp, sizeof pl->tmp, ".splref-tmp-%d-%lx", (int)getpid(), (unsigned long)(ts.tv_nsec + i * 7919));
        fd = openat(pl->dirfd, pl->tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
        if (fd >= 0 || errno != EEXIST) break;
    }
    if (fd < 0) pl->tmp[0] = '\0';
    return fd;
}

/* Link the finished store under its name: EEXIST if someone was first. */
static int place_link(struct place *pl, int fd)
{
    if (MUTANT(create_race_transient)) { pl->tmp[0] = '\0'; return 0; }
    if (pl->tmp[0]) return linkat(pl->dirfd, pl->tmp, pl->dirfd, pl->base, 0);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, proc, pl->dirfd, pl->base, AT_SYMLINK_FOLLOW) == 0) return 0;
    if (errno != ENOENT) return -1;
    return linkat(fd, "", pl->dirfd, pl->base, AT_EMPTY_PATH); /* no /proc */
}

static void place_close(struct place *pl)
{
    if (pl->tmp[0]) unlinkat(pl->dirfd, pl->tmp, 0);
    close(pl->dirfd);
}

/* Allocate every block of the store: -1 with ENOSPC, EFBIG (RLIMIT_FSIZE:
 * SIGXFSZ is held back meanwhile and a SIGXFSZ we caused is discarded, so
 * the caller gets an errno instead of a killed process), EDQUOT... */
static int allocate(int fd, size_t total)
{
    sigset_t xfsz, old, pend;
    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &xfsz, &old);
    sigpending(&pend);
    bool was_pending = sigismember(&pend, SIGXFSZ);
    int rc = MUTANT(create_sparse) ? (ftruncate(fd, (off_t)total) ? errno : 0) : posix_fallocate(fd, 0, (off_t)total);
    if (!was_pending) {
        sigpending(&pend);
        if (sigismember(&pend, SIGXFSZ)) {
            struct timespec zero = {0, 0};
            sigtimedwait(&xfsz, NULL, &zero);
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) { errno = rc; return -1; }
    return 0;
}

splref_store *splref_create(enum splref_backend be, const char *name, size_t slots, size_t max_val_sz)
{
    size_t total;
    if (!name) { errno = EINVAL; return NULL; }
    if (geometry_size(slots, max_val_sz, &total) != 0) return NULL;
    if (!offsets_fit(slots, max_val_sz) && !MUTANT(offsets_truncated)) { errno = EOVERFLOW; return NULL; }
    struct place pl;
    if (place_open(be, name, &pl) != 0) return NULL;
    /* taken already: say so before allocating a store for nothing (the link
     * below is what decides a race) */
    struct stat sb;
    if (fstatat(pl.dirfd, pl.base, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
        close(pl.dirfd);
        errno = EEXIST;
        return NULL;
    }
    mode_t mask = 0;
    int have_mask = env_umask(&mask);
    if (have_mask < 0) { close(pl.dirfd); return NULL; }
    int fd = place_tmpfile(&pl, have_mask ? 0600 : 0666);
    int saved = errno;
    if (fd < 0) { place_close(&pl); errno = saved; return NULL; }
    if (have_mask && fchmod(fd, 0666 & ~mask) != 0) { saved = errno; close(fd); place_close(&pl); errno = saved; return NULL; }

    void *base = MAP_FAILED;
    splref_store *st = NULL;
    if (allocate(fd, total) != 0) goto fail;
    base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) goto fail;

    /* The object is new and zero-filled: only non-zero fields need writing.
     * magic goes last (an original creator's opener may look before the link). */
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

    munmap(base, total); /* the bytes are in the file; the mapping below is by name */
    base = MAP_FAILED;
    if (place_link(&pl, fd) != 0) goto fail;
    /* Map it again through its name, so /proc/PID/maps, lsof and
     * splinter_get_raw_ptr users see the store's path, not "#inode
     * (deleted)". If the name was replaced in between, keep our inode. */
    struct stat a, b;
    int nfd = openat(pl.dirfd, pl.base, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (nfd >= 0 && (fstat(nfd, &a) != 0 || fstat(fd, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)) {
        close(nfd);
        nfd = -1;
    }
    if (nfd >= 0) close(fd), fd = nfd;
    base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED || !(st = wrap(fd, base, total, be, (uint32_t)slots, (uint32_t)max_val_sz))) {
        saved = errno;
        if (nfd >= 0) unlinkat(pl.dirfd, pl.base, 0); /* ours: linked a moment ago */
        errno = saved;
        goto fail;
    }
    place_close(&pl);
    return st;
fail:
    saved = errno;
    if (base != MAP_FAILED) munmap(base, total);
    close(fd);
    place_close(&pl);
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
    /* no magic yet, or magic but no geometry: a creator still at work (the
     * caller may look again); judged on the values read here, once, since
     * the creator may finish between this read and any later one */
    if (magic != SPLINTER_MAGIC) { *incomplete = magic == 0; errno = EBADMSG; return -1; }
    if (version != SPLINTER_VER) { errno = EPROTONOSUPPORT; return -1; }
    size_t want;
    if (geometry_size(slots, max_val, &want) != 0) { *incomplete = slots == 0 || max_val == 0; errno = EBADMSG; return -1; }
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
    *out_slots = MUTANT(open_rereads_geometry) ? *(const volatile uint32_t *)&H->slots : slots;
    *out_max = MUTANT(open_rereads_geometry) ? *(const volatile uint32_t *)&H->max_val_sz : max_val;
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
        *creating = errno == EBADMSG && unfinished;
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
    if (MUTANT(numa_no_bind)) return 0;
    long rc = syscall(SYS_mbind, st->base, st->total, (unsigned long)SR_MPOL_BIND, mask, maxnode,
                      (unsigned)(SR_MPOL_MF_STRICT | SR_MPOL_MF_MOVE));
    if (rc != 0) return -1;
    /* create allocates every page (posix_fallocate), on the creator's node,
     * but MPOL_MF_MOVE only moves pages this process has mapped: map them
     * all (a read of each page), then move them with a second mbind */
    long pg = sysconf(_SC_PAGESIZE);
    if (pg <= 0) pg = 4096;
    for (size_t off = 0; off < st->total; off += (size_t)pg) (void)*(volatile const uint8_t *)((const uint8_t *)st->base + off);
    rc = syscall(SYS_mbind, st->base, st->total, (unsigned long)SR_MPOL_BIND, mask, maxnode,
                 (unsigned)(SR_MPOL_MF_STRICT | SR_MPOL_MF_MOVE));
    return rc == 0 ? 0 : -1;
}

void *splref_base(splref_store *st) { return st ? st->base : NULL; }
size_t splref_size(splref_store *st) { return st ? st->total : 0; }
int splref_fd(splref_store *st) { return st ? st->fd : -1; }
struct splinter_header *splref_header(splref_store *st) { return st ? st->H : NULL; }
struct splinter_slot *splref_slots(splref_store *st) { return st ? st->S : NULL; }
uint8_t *splref_values(splref_store *st) { return st ? st->V : NULL; }
