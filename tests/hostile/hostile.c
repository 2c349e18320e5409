/*
 * hostile.c - open hostile, truncated and foreign store files; they must be
 * refused with the documented errno, never crash or hang the library.
 *
 * Each case is built as a file (or shm object), then opened with
 * splinter_open() in a forked child under a deadline. The child reports the
 * return code and errno through a pipe; a child killed by a signal is a crash
 * finding, one that outlives the deadline a hang finding. The last cases open
 * a good store and corrupt it behind the library's back, then drive every
 * accessor over the corrupt slot.
 *
 * Built twice: hostile-shm (libsplref.so, objects in /dev/shm) and
 * hostile-file (libsplref_p.so, files in /tmp). Run under LD_PRELOAD of the
 * trust_truncated mutant, it must fail (meson checks that too).
 *
 * usage: hostile shm|file [-v]     exit 0 all refused correctly, 1 otherwise
 */
#include "splinter.h"
#include "splref.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEADLINE_S 10

static int g_file, g_verbose, g_fail, g_cases;
static char g_name[128], g_path[160], g_good[160];
static uint8_t *g_img; /* bytes of a good store */
static size_t g_img_len;

enum { SLOTS = 16, MAXVAL = 64 };

static void remove_obj(void)
{
    unlink(g_path);
    rmdir(g_path);
}

static void write_obj(const void *data, size_t len)
{
    remove_obj();
    int fd = open(g_path, O_CREAT | O_EXCL | O_WRONLY, 0600);
    if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len)) {
        perror(g_path);
        exit(1);
    }
    close(fd);
}

struct result { int rc, err; };

/* Runs fn in a child under a deadline. Returns 0 and fills r when the child
 * finished, -1 when it crashed or hung (already reported). */
static int in_child(const char *what, void (*fn)(int wfd), struct result *r)
{
    int p[2];
    if (pipe(p) != 0) { perror("pipe"); exit(1); }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(1); }
    if (pid == 0) {
        close(p[0]);
        alarm(DEADLINE_S);
        fn(p[1]);
        _exit(0);
    }
    close(p[1]);
    int st = 0;
    waitpid(pid, &st, 0);
    ssize_t got = read(p[0], r, sizeof *r);
    close(p[0]);
    if (WIFSIGNALED(st)) {
        printf("FAIL %-44s %s in the library\n", what,
               WTERMSIG(st) == SIGALRM ? "HANG (deadline passed)" : strsignal(WTERMSIG(st)));
        g_fail++;
        return -1;
    }
    if (got != (ssize_t)sizeof *r) {
        printf("FAIL %-44s child reported nothing (exit %d)\n", what, WEXITSTATUS(st));
        g_fail++;
        return -1;
    }
    return 0;
}

static void child_open(int wfd)
{
    struct result r;
    errno = 0;
    r.rc = splinter_open(g_name);
    r.err = errno;
    if (r.rc == 0) {
        /* an accepted store must still be safe to use */
        char *keys[64];
        size_t n;
        splinter_list(keys, 64, &n);
        splinter_get("k", NULL, 0, &n);
        splinter_close();
    }
    if (write(wfd, &r, sizeof r) != sizeof r) _exit(3);
}

/* also_ok: a second acceptable errno where the kernel decides (0: none) */
static void expect_refused2(const char *what, int want_errno, int also_ok)
{
    struct result r;
    g_cases++;
    if (in_child(what, child_open, &r) != 0) return;
    if (r.rc == -1 && (r.err == want_errno || (also_ok && r.err == also_ok))) {
        if (g_verbose) printf("ok   %-44s -1 %s\n", what, strerror(r.err));
        return;
    }
    printf("FAIL %-44s rc %d errno %s, want -1 %s\n", what, r.rc, strerror(r.err), strerror(want_errno));
    g_fail++;
}

static void expect_refused(const char *what, int want_errno) { expect_refused2(what, want_errno, 0); }

static void with_image(const char *what, int want, void (*patch)(uint8_t *img, size_t *len))
{
    uint8_t *img = malloc(g_img_len + 8192);
    memcpy(img, g_img, g_img_len);
    size_t len = g_img_len;
    patch(img, &len);
    write_obj(img, len);
    free(img);
    expect_refused(what, want);
}

static struct splinter_header *HDR(uint8_t *img) { return (struct splinter_header *)img; }
static struct splinter_slot *SLOT(uint8_t *img, int i)
{
    return (struct splinter_slot *)(img + SPLINTER_HEADER_SIZE) + i;
}

static void p_magic(uint8_t *img, size_t *len) { (void)len; HDR(img)->magic = 0x4B4E554A; }
static void p_ver3(uint8_t *img, size_t *len) { (void)len; HDR(img)->version = 3; }
static void p_ver5(uint8_t *img, size_t *len) { (void)len; HDR(img)->version = 5; }
static void p_slots2x(uint8_t *img, size_t *len) { (void)len; HDR(img)->slots = SLOTS * 2; }
static void p_slots_half(uint8_t *img, size_t *len) { (void)len; HDR(img)->slots = SLOTS / 2; }
static void p_maxval2x(uint8_t *img, size_t *len) { (void)len; HDR(img)->max_val_sz = MAXVAL * 2; }
static void p_slots0(uint8_t *img, size_t *len) { (void)len; HDR(img)->slots = 0; }
static void p_maxval0(uint8_t *img, size_t *len) { (void)len; HDR(img)->max_val_sz = 0; }
static void p_huge(uint8_t *img, size_t *len) { (void)len; HDR(img)->slots = 0xFFFFFFFFu; HDR(img)->max_val_sz = 0xFFFFFFFFu; }
/* slots * (128 + max_val) wraps a 32-bit size to the real size: only a 64-bit check sees it */
static void p_wrap32(uint8_t *img, size_t *len)
{
    (void)len;
    HDR(img)->slots = SLOTS + (uint32_t)(((uint64_t)1 << 32) / (SPLINTER_SLOT_SIZE + MAXVAL));
}
static void p_grow(uint8_t *img, size_t *len) { (void)img; memset(img + *len, 0, 4096); *len += 4096; }
static void p_valoff(uint8_t *img, size_t *len) { (void)len; SLOT(img, 3)->val_off = SLOTS * MAXVAL + 64; }
static void p_valoff_max(uint8_t *img, size_t *len) { (void)len; SLOT(img, 5)->val_off = 0xFFFFFFFFu; }
static void p_valend(uint8_t *img, size_t *len)
{
    (void)len;
    SLOT(img, SLOTS - 1)->val_off = SLOTS * MAXVAL - 8;
    SLOT(img, SLOTS - 1)->val_len = 16;
}
static void p_vallen(uint8_t *img, size_t *len) { (void)len; SLOT(img, 2)->val_len = MAXVAL + 1; }
static void p_key_nonul(uint8_t *img, size_t *len)
{
    (void)len;
    memset(SLOT(img, SLOTS - 1)->key, 'K', SPLINTER_KEY_MAX);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A header that passes every check, over a slot table of random bytes. */
static void p_random_slots(uint8_t *img, size_t *len)
{
    (void)len;
    for (size_t i = SPLINTER_HEADER_SIZE; i < SPLINTER_HEADER_SIZE + SLOTS * SPLINTER_SLOT_SIZE; i++) img[i] = (uint8_t)rng();
}

/* ---- corruption after open: the library re-checks what it reads ------- */

static void child_corrupt_after_open(int wfd)
{
    struct result r = {0, 0};
    splref_store *peek = NULL;
    if (splinter_open(g_good) != 0 || !(peek = splref_open(g_file ? SPLREF_BACKEND_FILE : SPLREF_BACKEND_SHM, g_good))) {
        r.rc = -100;
        r.err = errno;
        if (write(wfd, &r, sizeof r) != sizeof r) _exit(3);
        return;
    }
    splinter_set("victim", "12345678", 8);
    splinter_set_named_type("victim", SPL_SLOT_TYPE_BIGUINT);
    struct splinter_slot *S = splref_slots(peek);
    for (int i = 0; i < SLOTS; i++)
        if (!strcmp(S[i].key, "victim")) S[i].val_off = 0xFFFFFF00u;
    int bad = 0;
    size_t n;
    uint64_t one = 1;
    char buf[MAXVAL];
    /* every accessor must refuse, none may touch memory outside the map */
    bad += splinter_get("victim", buf, sizeof buf, &n) != -1;
    bad += splinter_set("victim", "x", 1) != -1;
    bad += splinter_append("victim", "x", 1, &n) != -1;
    bad += splinter_integer_op("victim", SPL_OP_INC, &one) != -1;
    bad += splinter_get_raw_ptr("victim", &n, NULL) != NULL;
    bad += splinter_set_as_system("victim") != -1;
    splinter_purge();
    splinter_flush(SPLINTER_FLUSH_MSYNC_RANGES);
    (void)splinter_unset("victim"); /* unset only scrubs inside the arena; must not crash, any result goes */
    r.rc = bad ? -1 : 0;
    r.err = bad;
    splref_close(peek);
    splinter_close();
    if (write(wfd, &r, sizeof r) != sizeof r) _exit(3);
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "shm") && strcmp(argv[1], "file"))) {
        fprintf(stderr, "usage: %s shm|file [-v]\n", argv[0]);
        return 2;
    }
    g_file = !strcmp(argv[1], "file");
    g_verbose = argc > 2 && !strcmp(argv[2], "-v");
    if (g_file) {
        snprintf(g_name, sizeof g_name, "/tmp/splsuite-hostile-%d", (int)getpid());
        snprintf(g_path, sizeof g_path, "%s", g_name);
        snprintf(g_good, sizeof g_good, "/tmp/splsuite-hostile-good-%d", (int)getpid());
    } else {
        snprintf(g_name, sizeof g_name, "/splsuite-hostile-%d", (int)getpid());
        snprintf(g_path, sizeof g_path, "/dev/shm%s", g_name);
        snprintf(g_good, sizeof g_good, "/splsuite-hostile-good-%d", (int)getpid());
    }

    /* the good image everything else is cut from */
    if (splinter_create(g_good, SLOTS, MAXVAL) != 0) { perror("create"); return 1; }
    splinter_set("k", "value", 5);
    splinter_set("k2", "other", 5);
    splinter_close();
    char gpath[200];
    snprintf(gpath, sizeof gpath, g_file ? "%s" : "/dev/shm%s", g_good);
    int fd = open(gpath, O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) { perror(gpath); return 1; }
    g_img_len = (size_t)sb.st_size;
    g_img = malloc(g_img_len);
    if (read(fd, g_img, g_img_len) != (ssize_t)g_img_len) { perror("read"); return 1; }
    close(fd);

    /* the good image itself opens */
    write_obj(g_img, g_img_len);
    {
        struct result r;
        g_cases++;
        if (in_child("intact copy", child_open, &r) == 0 && r.rc != 0) {
            printf("FAIL %-44s rc %d errno %s, want 0\n", "intact copy", r.rc, strerror(r.err));
            g_fail++;
        }
    }

    /* truncated at many sizes, header and table boundaries included */
    size_t cuts[] = {0, 1, 3, 4, 8, 64, 4095, 4096, SPLINTER_HEADER_SIZE - 1, SPLINTER_HEADER_SIZE,
                     SPLINTER_HEADER_SIZE + 1, SPLINTER_HEADER_SIZE + SLOTS * SPLINTER_SLOT_SIZE / 2,
                     SPLINTER_HEADER_SIZE + SLOTS * SPLINTER_SLOT_SIZE, g_img_len / 2, g_img_len - 64,
                     g_img_len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "truncated to %zu bytes", cuts[i]);
        write_obj(g_img, cuts[i]);
        expect_refused(what, EBADMSG);
    }
    with_image("extended by a page", EBADMSG, p_grow);
    with_image("wrong magic", EBADMSG, p_magic);
    with_image("format version 3", EPROTONOSUPPORT, p_ver3);
    with_image("format version 5", EPROTONOSUPPORT, p_ver5);
    with_image("slots doubled (geometry > file)", EBADMSG, p_slots2x);
    with_image("slots halved (geometry < file)", EBADMSG, p_slots_half);
    with_image("max_val_sz doubled", EBADMSG, p_maxval2x);
    with_image("slots 0", EBADMSG, p_slots0);
    with_image("max_val_sz 0", EBADMSG, p_maxval0);
    with_image("slots and max_val_sz 0xFFFFFFFF", EBADMSG, p_huge);
    with_image("size wrapping 32 bits", EBADMSG, p_wrap32);
    with_image("val_off past the arena end", EUCLEAN, p_valoff);
    with_image("val_off 0xFFFFFFFF", EUCLEAN, p_valoff_max);
    with_image("value running past the arena", EUCLEAN, p_valend);
    with_image("val_len > max_val_sz", EUCLEAN, p_vallen);
    with_image("key without a NUL", EUCLEAN, p_key_nonul);
    for (int i = 0; i < 8; i++) with_image("random slot table", EUCLEAN, p_random_slots);

    /* random bytes of assorted sizes */
    for (int i = 0; i < 12; i++) {
        size_t len = i < 6 ? (size_t)(rng() % 16384) : g_img_len;
        uint8_t *junk = malloc(len + 1);
        for (size_t j = 0; j < len; j++) junk[j] = (uint8_t)rng();
        write_obj(junk, len);
        free(junk);
        expect_refused(i < 6 ? "random bytes" : "random bytes, store-sized", EBADMSG);
    }
    memset(g_img, 0, 64);
    write_obj(g_img, g_img_len);
    expect_refused("zeroed header", EBADMSG);

    /* not files at all */
    remove_obj();
    /* open(2) says EISDIR; glibc's shm_open turns it into EINVAL */
    if (mkdir(g_path, 0700) == 0) expect_refused("a directory", g_file ? EISDIR : EINVAL);
    remove_obj();
    if (mkfifo(g_path, 0600) == 0) expect_refused("a FIFO", EINVAL);
    remove_obj();
    if (symlink(gpath, g_path) == 0) expect_refused("a symlink to a good store", ELOOP);
    remove_obj();
    if (g_file) {
        snprintf(g_name, sizeof g_name, "/dev/zero");
        expect_refused("/dev/zero", EINVAL);
        snprintf(g_name, sizeof g_name, "/dev/null");
        expect_refused("/dev/null", EINVAL);
        snprintf(g_name, sizeof g_name, "/proc/self/status");
        /* EACCES for users; root may open it, then its st_size of 0 is too small */
        expect_refused2("a procfs file", EACCES, EBADMSG);
    }

    struct result r;
    g_cases++;
    if (in_child("slot corrupted after open", child_corrupt_after_open, &r) == 0) {
        if (r.rc != 0) {
            printf("FAIL %-44s %d accessors did not refuse (rc %d)\n", "slot corrupted after open", r.err, r.rc);
            g_fail++;
        } else if (g_verbose) {
            printf("ok   %-44s every accessor refused\n", "slot corrupted after open");
        }
    }

    if (g_file) unlink(g_good);
    else shm_unlink(g_good);
    free(g_img);
    printf("%s: %d hostile cases, %d failed\n", g_file ? "file" : "shm", g_cases, g_fail);
    return g_fail ? 1 : 0;
}
