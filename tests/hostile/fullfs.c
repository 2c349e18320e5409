/*
 * fullfs.c - stores on a full filesystem and under tight resource limits.
 *
 * A store is a mapped file: a page of it that the filesystem never allocated
 * is a SIGBUS the first time it is written, in create (the slot table) or in
 * any later set. The library must allocate a store's blocks when it creates
 * it and report ENOSPC then, never die later; a create that fails (no space,
 * RLIMIT_FSIZE, no descriptors, no address space) must leave nothing at the
 * name, so the next create of that name works and no open trips over a
 * half-made file.
 *
 * Each case runs in a forked child with its own mount namespace and a small
 * private tmpfs: over /dev/shm for the shm library, on a scratch directory
 * for the file library. The machine's real /dev/shm is never filled.
 *
 * usage: fullfs shm|file     exit 0 pass, 1 a finding, 77 no mount namespace
 */
#include "helpers.h"
#include "splinter.h"
#include "splref.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static bool g_file;
static char g_dir[256];   /* the private tmpfs */
static char g_name[320];  /* the store's name (shm) or path (file) */
static char g_entry[320]; /* its directory entry */

/* the private tmpfs of size kib, mounted over the store directory */
static int private_fs(unsigned kib)
{
    if (unshare(CLONE_NEWNS) != 0) return -1;
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return -1;
    char opt[64];
    snprintf(opt, sizeof opt, "size=%uk,mode=1777", kib);
    return mount("splsuite-fullfs", g_dir, "tmpfs", 0, opt);
}

/* entries in the store directory other than . and .. */
static int entries(char *first, size_t n)
{
    DIR *d = opendir(g_dir);
    if (!d) return -1;
    int c = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            if (!c && first) snprintf(first, n, "%s", e->d_name);
            c++;
        }
    closedir(d);
    return c;
}

/* fill the filesystem with a filler file, to the last block */
static void fill(void)
{
    char path[400];
    snprintf(path, sizeof path, "%s/filler", g_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    static char blk[4096];
    while (write(fd, blk, sizeof blk) > 0) {}
    close(fd);
}

/* ---- the cases (each in its own child and namespace) ---------------------- */

/* a store bigger than the filesystem: create refuses with ENOSPC, nothing left */
static int case_create_enospc(void)
{
    if (private_fs(1024) != 0) return 77;
    /* 16384 slots: a 2 MiB slot table alone, on a 1 MiB filesystem */
    errno = 0;
    int rc = splinter_create(g_name, 16384, 64);
    int err = errno;
    CHECK(rc != 0 && err == ENOSPC, "create of a 3 MiB store on a 1 MiB filesystem: rc %d errno %d %s (want -1 ENOSPC)", rc,
          err, strerror(err));
    char first[256] = "";
    int n = entries(first, sizeof first);
    CHECK(n == 0, "a failed create left %d entries in the store directory (first: %s)", n, first);
    /* the name is free: a store that fits is created under it */
    rc = splinter_create(g_name, 16, 64);
    CHECK_ERRNO(rc == 0, "create of a small store after the failed one");
    if (rc == 0) {
        CHECK(splinter_set("k", "v", 1) == 0);
        splinter_close();
    }
    return fails ? 1 : 0;
}

/* a store that fits, then the filesystem filled by someone else: every set works */
static int case_set_after_full(void)
{
    if (private_fs(2048) != 0) return 77;
    /* 5440 + 1024 x (128 + 1024) = 1.13 MiB of a 2 MiB filesystem */
    int rc = splinter_create(g_name, 1024, 1024);
    if (rc != 0) { CHECK_ERRNO(rc == 0, "create of a 1.13 MiB store on a 2 MiB filesystem"); return 1; }
    fill();
    static char val[1024];
    int bad = 0;
    for (int i = 0; i < 900; i++) {
        char key[32];
        snprintf(key, sizeof key, "key-%d", i);
        memset(val, 'a' + i % 26, sizeof val);
        if (splinter_set(key, val, sizeof val) != 0 && errno != ENOSPC) bad++;
    }
    CHECK(bad == 0, "%d sets failed with an errno other than ENOSPC (a full slot table) on a full filesystem", bad);
    splinter_close();
    return fails ? 1 : 0;
}

/* RLIMIT_FSIZE below the store's size: EFBIG, no SIGXFSZ, nothing left */
static int case_fsize(void)
{
    if (private_fs(8192) != 0) return 77;
    struct rlimit rl = {64 << 10, 64 << 10};
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0) { CHECK_ERRNO(0, "setrlimit"); return 1; }
    errno = 0;
    int rc = splinter_create(g_name, 1024, 1024); /* 1.13 MiB */
    int err = errno;
    CHECK(rc != 0 && err == EFBIG, "create above RLIMIT_FSIZE: rc %d errno %d %s (want -1 EFBIG)", rc, err, strerror(err));
    sigset_t pend;
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGXFSZ), "create left a SIGXFSZ pending");
    struct sigaction sa;
    sigaction(SIGXFSZ, NULL, &sa);
    CHECK(sa.sa_handler == SIG_DFL, "create changed SIGXFSZ's disposition");
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK(!sigismember(&cur, SIGXFSZ), "create left SIGXFSZ blocked");
    char first[256] = "";
    int n = entries(first, sizeof first);
    CHECK(n == 0, "a create refused by RLIMIT_FSIZE left %d entries (first: %s)", n, first);
    rc = splinter_create(g_name, 16, 64); /* 7.5 KiB: under the limit */
    CHECK_ERRNO(rc == 0, "create of a small store under the limit, same name");
    if (rc == 0) splinter_close();
    return fails ? 1 : 0;
}

/* a 0-byte or short object at the name: open fails at once, cleanly */
static int case_short_object(void)
{
    if (private_fs(1024) != 0) return 77;
    for (int k = 0; k < 2; k++) {
        int fd = open(g_entry, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) { CHECK_ERRNO(0, "make %s", g_entry); return 1; }
        if (k == 1 && write(fd, "SPLN", 4) != 4) CHECK_ERRNO(0, "write");
        close(fd);
        errno = 0;
        int rc = splinter_open(g_name);
        int err = errno;
        CHECK(rc != 0 && (err == EBADMSG || err == EINVAL), "open of a %s object: rc %d errno %d %s (want -1 EBADMSG or EINVAL)",
              k ? "4-byte" : "0-byte", rc, err, strerror(err));
        unlink(g_entry);
    }
    return fails ? 1 : 0;
}

/* no descriptor left: create and open fail with EMFILE, nothing is left */
static int case_nofile(void)
{
    if (private_fs(1024) != 0) return 77;
    if (splinter_create(g_name, 16, 64) != 0) { CHECK_ERRNO(0, "create"); return 1; }
    splinter_close();
    char other[400];
    snprintf(other, sizeof other, "%s-2", g_name);
    /* take every descriptor up to a low limit */
    struct rlimit rl = {32, 32};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) { CHECK_ERRNO(0, "setrlimit"); return 1; }
    while (open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0) {}
    errno = 0;
    int rc = splinter_create(other, 16, 64);
    int err = errno;
    CHECK(rc != 0 && (err == EMFILE || err == ENFILE), "create with no descriptor: rc %d errno %d %s", rc, err, strerror(err));
    errno = 0;
    rc = splinter_open(g_name);
    err = errno;
    CHECK(rc != 0 && (err == EMFILE || err == ENFILE), "open with no descriptor: rc %d errno %d %s", rc, err, strerror(err));
    CHECK(splinter_set("k", "v", 1) != 0, "set with no store open succeeded");
    struct stat sb;
    char entry[400];
    snprintf(entry, sizeof entry, "%s-2", g_entry);
    CHECK(stat(entry, &sb) != 0 && errno == ENOENT, "a create that failed for a descriptor left %s behind", entry);
    return fails ? 1 : 0;
}

/* RLIMIT_AS at what this process maps now + extra bytes; 0, or 1 reported */
static int limit_as(unsigned long extra)
{
    struct rlimit cur;
    getrlimit(RLIMIT_AS, &cur);
    FILE *f = fopen("/proc/self/statm", "re");
    unsigned long pages = 0;
    if (!f || fscanf(f, "%lu", &pages) != 1) { CHECK(0, "read /proc/self/statm"); if (f) fclose(f); return 1; }
    fclose(f);
    struct rlimit rl = {pages * 4096 + extra, cur.rlim_max};
    if (setrlimit(RLIMIT_AS, &rl) != 0) { CHECK_ERRNO(0, "setrlimit RLIMIT_AS"); return 1; }
    return 0;
}

/* too little address space to map the store: ENOMEM, nothing left */
static int case_as(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return 77; /* the sanitizer's shadow reservation is most of the address space */
#endif
    if (private_fs(16384) != 0) return 77;
    /* 5440 + 4096 x (128 + 2048) = 8.5 MiB: fits the filesystem, not the limit */
    if (limit_as(4 << 20) != 0) return 1;
    errno = 0;
    int rc = splinter_create(g_name, 4096, 2048);
    int err = errno;
    CHECK(rc != 0 && err == ENOMEM, "create beyond RLIMIT_AS: rc %d errno %d %s (want -1 ENOMEM)", rc, err, strerror(err));
    char first[256] = "";
    int n = entries(first, sizeof first);
    CHECK(n == 0, "a create refused for address space left %d entries (first: %s)", n, first);
    return fails ? 1 : 0;
}

/* A call that may need a descriptor or memory: 0, or -1 with a clean errno. */
#define MAY_FAIL(call)                                                                                                 \
    do {                                                                                                               \
        errno = 0;                                                                                                     \
        int rc_ = (call);                                                                                              \
        int e_ = errno;                                                                                                \
        CHECK(rc_ >= 0 || (rc_ == -1 && (e_ == EMFILE || e_ == ENFILE || e_ == ENOMEM || e_ == EAGAIN ||              \
                                          e_ == ENOTSUP || e_ == ENOSYS || e_ == ETIMEDOUT)),                          \
              "%s with no descriptor and no address space left: rc %d errno %d %s", #call, rc_, e_, strerror(e_));   \
    } while (0)

static void count_cb(const char *key, uint64_t epoch, void *data)
{
    (void)key;
    (void)epoch;
    ++*(int *)data;
}

/* An open store, then no descriptor and no address space left: every call
 * either works as before (those that need neither) or fails with a clean
 * errno, never a signal (the parent reports one), and the data stays. */
static int case_limits_every_call(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return 77; /* the sanitizer's shadow reservation is most of the address space */
#endif
    if (private_fs(16384) != 0) return 77;
    if (splinter_create(g_name, 64, 256) != 0) { CHECK_ERRNO(0, "create"); return 1; }
    CHECK(splinter_set("kept", "value before the limits", 23) == 0, "set before the limits");
    uint64_t zero = 0;
    CHECK(splinter_set("n", &zero, 8) == 0 && splinter_set_named_type("n", SPL_SLOT_TYPE_BIGUINT) == 0, "counter");
    /* the address space first: reading /proc needs a descriptor */
    if (limit_as(1 << 20) != 0) return 1;
    struct rlimit rl = {16, 16};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) { CHECK_ERRNO(0, "setrlimit NOFILE"); return 1; }
    while (open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0) {}

    /* these need neither: they must work as before */
    char buf[256];
    size_t n = 0;
    CHECK(splinter_set("k", "v1", 2) == 0, "set under the limits: errno %d", errno);
    CHECK(splinter_get("k", buf, sizeof buf, &n) == 0 && n == 2 && !memcmp(buf, "v1", 2), "get under the limits");
    CHECK(splinter_append("k", "+", 1, &n) == 0 && n == 3, "append under the limits");
    uint64_t one = 1;
    CHECK(splinter_integer_op("n", SPL_OP_INC, &one) == 0, "integer_op under the limits: errno %d", errno);
    char *keys[64];
    size_t nk = 0;
    CHECK(splinter_list(keys, 64, &nk) == 0 && nk == 3, "list under the limits: %zu keys", nk);
    splinter_header_snapshot_t hs;
    splinter_slot_snapshot_t ss;
    CHECK(splinter_get_header_snapshot(&hs) == 0, "header snapshot under the limits");
    CHECK(splinter_get_slot_snapshot("k", &ss) == 0, "slot snapshot under the limits");
    CHECK(splinter_set_label("k", 1) == 0, "set_label under the limits");
    int seen = 0;
    splinter_enumerate_matches(1, count_cb, &seen);
    CHECK(seen == 1, "enumerate_matches under the limits: %d calls", seen);
    CHECK(splinter_watch_register("k", 3) == 0, "watch_register under the limits");
    CHECK(splinter_pulse_keygroup("k") >= 0, "pulse_keygroup under the limits");
    CHECK(splinter_bump_slot("k") == 0, "bump_slot under the limits");
    CHECK(splinter_shard_claim(7, SPL_INTENT_WILLNEED, 1, 1ull << 40) == 0, "shard_claim under the limits");
    CHECK(splinter_shard_release(7) == 0, "shard_release under the limits");
    CHECK(splinter_unset("k") >= 0, "unset under the limits");
    /* these may need a descriptor or memory */
    MAY_FAIL(splinter_poll("kept", 1));
    MAY_FAIL(splinter_event_bus_init());
    errno = 0;
    int fd = splinter_event_bus_open();
    CHECK(fd >= 0 || errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOTSUP || errno == ENODEV,
          "event_bus_open under the limits (ENODEV: the init above failed): rc %d errno %d %s", fd, errno, strerror(errno));
    if (fd >= 0) {
        MAY_FAIL(splinter_event_bus_wait(fd, 1));
        splinter_event_bus_close(fd);
    }
    static const char *const strategies[] = SPLINTER_FLUSH_STRATEGY_NAMES;
    for (int strategy = 0; strategy < (int)(sizeof strategies / sizeof strategies[0]); strategy++)
        MAY_FAIL(splinter_flush(strategy));
    CHECK(splinter_shard_claim(8, SPL_INTENT_WILLNEED, 1, 1ull << 40) == 0, "shard_claim under the limits");
    MAY_FAIL(splinter_madvise(8, NULL, 0, POSIX_MADV_WILLNEED, 0));
    CHECK(splinter_shard_release(8) == 0, "shard_release under the limits");
    /* and the data is still there */
    CHECK(splinter_get("kept", buf, sizeof buf, &n) == 0 && n == 23 && !memcmp(buf, "value before the limits", 23),
          "the value set before the limits is gone or changed");
    splinter_close();
    return fails ? 1 : 0;
}

static const struct {
    const char *name;
    int (*fn)(void);
} cases[] = {
    {"create_enospc", case_create_enospc}, {"set_after_full", case_set_after_full}, {"fsize", case_fsize},
    {"short_object", case_short_object},   {"nofile", case_nofile},                 {"as", case_as},
    {"limits_every_call", case_limits_every_call},
};

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "shm") && strcmp(argv[1], "file"))) {
        fprintf(stderr, "usage: fullfs shm|file\n");
        return 2;
    }
    g_file = !strcmp(argv[1], "file");
    char tmpl[256];
    snprintf(tmpl, sizeof tmpl, "%s/splsuite-fullfs-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (g_file) {
        if (!mkdtemp(tmpl)) { perror("mkdtemp"); return 1; }
        snprintf(g_dir, sizeof g_dir, "%s", tmpl);
        snprintf(g_name, sizeof g_name, "%s/store", g_dir);
        snprintf(g_entry, sizeof g_entry, "%s", g_name);
    } else {
        snprintf(g_dir, sizeof g_dir, "/dev/shm");
        snprintf(g_name, sizeof g_name, "/splsuite-fullfs-%d", (int)getpid());
        snprintf(g_entry, sizeof g_entry, "/dev/shm%s", g_name);
    }
    int skipped = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fflush(NULL);
        pid_t p = fork();
        if (p == 0) {
            fails = 0; /* the parent's count so far is not this case's */
            _exit(cases[i].fn());
        }
        int st = 0;
        waitpid(p, &st, 0);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
            skipped++;
            printf("skip %s\n", cases[i].name);
        } else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            printf("ok   %s\n", cases[i].name);
        } else {
            fails++;
            if (WIFSIGNALED(st)) fprintf(stderr, "FAIL %s: killed by signal %d (%s)\n", cases[i].name, WTERMSIG(st), strsignal(WTERMSIG(st)));
            printf("FAIL %s\n", cases[i].name);
        }
    }
    if (g_file) rmdir(g_dir);
    if (skipped == (int)(sizeof cases / sizeof cases[0])) return T_SKIP("no private mount namespace (needs CAP_SYS_ADMIN)");
    return T_DONE(g_file ? "fullfs file" : "fullfs shm");
}
