/*
 * rules_sec_dur.c - SEC (hostile store files, sizes, names) and DUR
 * (persistent stores). Every open of a hostile file happens in a forked
 * child with a deadline: the implementation crashing or hanging on it is
 * the finding.
 */
#include "conform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* A valid store with a few keys, closed, ready to be damaged. */
static int make_victim(struct conform *c, struct rule_out *o, const char *tag, char *path, size_t plen)
{
    if (store_create(c, o, tag, 32, 4096) != 0) return -1;
    uint8_t val[4096];
    for (unsigned k = 0; k < 8; k++) {
        char key[32];
        snprintf(key, sizeof key, "victim-%u", k);
        spl_payload_make(val, 3000, k, 0, k);
        c->im.set(key, val, 3000);
    }
    c->im.close();
    store_path(c, o->store, path, plen);
    return 0;
}

struct hostile {
    struct conform *c;
    const char *name;
};

/* In the grandchild: open, then use every key. 0 refused, 10 accepted and survived. */
static int hostile_child(void *arg, char *msg)
{
    struct hostile *h = arg;
    errno = 0;
    int rc = h->c->im.open(h->name);
    if (rc != 0) {
        snprintf(msg, SPL_MSG_MAX, "open refused: %d (%s)", rc, strerror(errno));
        return 0;
    }
    snprintf(msg, SPL_MSG_MAX, "open accepted it; reading keys...");
    uint8_t buf[4096];
    int ok = 0, foreign = -1;
    for (unsigned k = 0; k < 8; k++) {
        char key[32];
        size_t got = 0;
        snprintf(key, sizeof key, "victim-%u", k);
        bool read = h->c->im.get(key, buf, sizeof buf, &got) == 0;
        ok += read;
        /* a successful get returns the key's own value, or it read past the value's bytes */
        if (read && foreign < 0 && spl_payload_check(buf, got, k, NULL) != SPL_PAYLOAD_OK) foreign = (int)k;
        h->c->im.set(key, buf, read && got ? got : 100); /* a write, keeping the value intact when it was */
    }
    if (h->c->im.list) {
        char *keys[64];
        size_t n;
        h->c->im.list(keys, 64, &n);
    }
    h->c->im.close();
    if (foreign >= 0) {
        snprintf(msg, SPL_MSG_MAX, "open accepted it; get(victim-%d) succeeded with bytes that are not its value (read outside the value it points at)", foreign);
        return 11;
    }
    snprintf(msg, SPL_MSG_MAX, "open accepted it; %d of 8 gets succeeded, sets and list survived", ok);
    return 10;
}

/* Judges one hostile case. contained_ok: accepting is fine if nothing breaks. */
static void judge(struct conform *c, struct rule_out *o, const char *what, bool contained_ok)
{
    struct hostile h = {c, o->store};
    struct spl_child_result cr;
    if (spl_child_run(hostile_child, &h, 5000000000ull, &cr) != 0) { r_error(o, "fork: %s", strerror(errno)); return; }
    char why[128];
    if (cr.signal || cr.timed_out) {
        r_fail(o, "%s: the implementation %s", what, spl_child_describe(&cr, why, sizeof why));
        r_cex(o, "%s: %s; last words: %s", what, why, cr.msg);
    } else if (cr.exited && cr.code == 0) {
        r_cex(o, "%s: %s", what, cr.msg);
    } else if (cr.exited && cr.code == 10 && !contained_ok) {
        r_fail(o, "%s: accepted instead of refused", what);
        r_cex(o, "%s: %s", what, cr.msg);
    } else if (cr.exited && cr.code == 10) {
        r_cex(o, "%s: %s (contained)", what, cr.msg);
    } else if (cr.exited && cr.code == 11) {
        r_fail(o, "%s: %s", what, cr.msg);
    } else {
        r_error(o, "%s: probe child %s", what, spl_child_describe(&cr, why, sizeof why));
    }
}

static void rule_sec001(struct conform *c, struct rule_out *o)
{
    char path[512];
    if (make_victim(c, o, "sec1", path, sizeof path) != 0) return;
    struct stat sb;
    if (stat(path, &sb) != 0) { r_error(o, "stat %s: %s", path, strerror(errno)); return; }
    if (truncate(path, sb.st_size / 2) != 0) { r_error(o, "truncate %s: %s", path, strerror(errno)); return; }
    judge(c, o, "store truncated to half its geometry", false);
    if (truncate(path, 100) == 0) judge(c, o, "store truncated inside the header (100 bytes)", false);
    if (truncate(path, 0) == 0) judge(c, o, "empty file", false);
    r_pass(o, "truncated stores (half, inside the header, empty) refused without a crash");
}

static void rule_sec002(struct conform *c, struct rule_out *o)
{
    char path[512];
    if (make_victim(c, o, "sec2", path, sizeof path) != 0) return;
    uint32_t bad = 0x12345678, good = SPLINTER_MAGIC;
    file_patch(path, 0, &bad, 4);
    judge(c, o, "wrong magic", false);
    file_patch(path, 0, &good, 4);
    uint32_t ver = 3;
    file_patch(path, 4, &ver, 4);
    judge(c, o, "format version 3", false);
    ver = 5;
    file_patch(path, 4, &ver, 4);
    judge(c, o, "format version 5", false);
    r_pass(o, "wrong magic and versions 3 and 5 refused without a crash");
}

static void rule_sec003(struct conform *c, struct rule_out *o)
{
    char path[512];
    if (make_victim(c, o, "sec3", path, sizeof path) != 0) return;
    uint32_t slots = 64;
    file_patch(path, 8, &slots, 4);
    judge(c, o, "slots field doubled (geometry larger than the file)", false);
    slots = 32;
    file_patch(path, 8, &slots, 4);
    uint32_t mv = 1u << 30;
    file_patch(path, 12, &mv, 4);
    judge(c, o, "max_val_sz 1 GiB (geometry far larger than the file)", false);
    uint32_t huge = 0xFFFFFFFFu;
    file_patch(path, 8, &huge, 4);
    file_patch(path, 12, &huge, 4);
    judge(c, o, "slots and max_val_sz 2^32-1 (size overflows)", false);
    r_pass(o, "geometries larger than the file, and overflowing ones, refused without a crash");
}

static void rule_sec004(struct conform *c, struct rule_out *o)
{
    char path[512];
    if (make_victim(c, o, "sec4", path, sizeof path) != 0) return;
    struct spl_storeview v;
    if (spl_sv_open(&v, path, SPL_SV_WRITE) != 0) { r_error(o, "map: %s", strerror(errno)); return; }
    long idx = spl_sv_find(&v, "victim-3");
    if (idx < 0) { spl_sv_close(&v); r_error(o, "victim-3 not in the store the implementation wrote"); return; }
    uint32_t arena = v.slots * v.max_val;
    SV_SLOT(&v, idx).val_off = arena + (1u << 24); /* 16 MiB past the arena */
    judge(c, o, "a slot whose val_off is 16 MiB past the value arena", true);
    SV_SLOT(&v, idx).val_off = arena - 100; /* inside, but val_len runs past the end */
    judge(c, o, "a slot whose value runs past the end of the arena", true);
    SV_SLOT(&v, idx).val_off = (uint32_t)idx * v.max_val;
    SV_SLOT(&v, idx).val_len = 0xFFFFFF00u;
    judge(c, o, "a slot whose val_len is 4 GiB", true);
    spl_sv_close(&v);
    r_pass(o, "slots pointing outside the arena refused or contained, never followed out of the region");
}

static void rule_sec005(struct conform *c, struct rule_out *o)
{
    char path[512];
    if (make_victim(c, o, "sec5", path, sizeof path) != 0) return;
    /* a link planted where a store is expected, pointing at a valid store */
    char link[600], linkname[600];
    if (c->im.backend == SPL_BACKEND_FILE) {
        snprintf(link, sizeof link, "%s.lnk", path);
        snprintf(linkname, sizeof linkname, "%s", link);
    } else {
        snprintf(linkname, sizeof linkname, "%s-lnk", o->store);
        snprintf(link, sizeof link, "/dev/shm/%s", linkname + 1);
    }
    unlink(link);
    if (symlink(path, link) != 0) { r_error(o, "symlink %s: %s", link, strerror(errno)); return; }
    struct hostile h = {c, linkname};
    struct spl_child_result cr;
    spl_child_run(hostile_child, &h, 5000000000ull, &cr);
    char why[128];
    if (cr.signal || cr.timed_out) r_fail(o, "open through a symlink: the implementation %s", spl_child_describe(&cr, why, sizeof why));
    else if (cr.exited && cr.code == 10) r_fail(o, "open followed a symlink to %s", path);
    r_cex(o, "open(%s -> %s): %s", linkname, path, cr.msg);
    /* create must not follow a link onto somebody's file either */
    struct stat before, after;
    stat(path, &before);
    errno = 0;
    int rc = c->im.create(linkname, 8, 64);
    int err = errno;
    stat(path, &after);
    if (rc == 0) c->im.close();
    r_check(o, rc != 0, "create(%s) through a symlink succeeded", linkname);
    r_check(o, before.st_size == after.st_size && before.st_mtim.tv_sec == after.st_mtim.tv_sec && before.st_mtim.tv_nsec == after.st_mtim.tv_nsec,
            "create through a symlink modified the link's target %s", path);
    unlink(link);
    r_pass(o, "open and create refuse a symlink (create: %s); the target is untouched", strerror(err));
}

struct geo {
    struct conform *c;
    const char *name;
    size_t slots, max;
};

static int geo_child(void *arg, char *msg)
{
    struct geo *g = arg;
    /* a 1 GiB address-space cap: an implementation that believes an absurd
     * geometry fails its mmap here instead of filling the machine's memory */
    struct rlimit rl = {1ul << 30, 1ul << 30};
    setrlimit(RLIMIT_AS, &rl);
    errno = 0;
    int rc = g->c->im.create(g->name, g->slots, g->max);
    snprintf(msg, SPL_MSG_MAX, "create(%s%s%s, %zu slots, %zu bytes) = %d (%s)", g->name ? "\"" : "", g->name ? g->name : "NULL",
             g->name ? "\"" : "", g->slots, g->max, rc, strerror(errno));
    if (rc == 0) g->c->im.close();
    return rc == 0 ? 10 : 0;
}

static void rule_sec006(struct conform *c, struct rule_out *o)
{
    spl_impl_store_name(&c->im, "sec6", o->store, sizeof o->store);
    struct { size_t s, m; const char *what; } cases[] = {
        {0, 64, "zero slots"}, {16, 0, "zero max_val_sz"}, {((size_t)1 << 32) + 8, 64, "2^32 + 8 slots (does not fit the 32-bit field; truncated it is 8)"},
        {(size_t)1 << 31, (size_t)1 << 31, "2^31 x 2^31 bytes (size overflows)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        spl_impl_store_remove(&c->im, o->store);
        struct geo g = {c, o->store, cases[i].s, cases[i].m};
        struct spl_child_result cr;
        spl_child_run(geo_child, &g, 10000000000ull, &cr);
        char why[128];
        if (cr.signal || cr.timed_out) r_fail(o, "create with %s: the implementation %s", cases[i].what, spl_child_describe(&cr, why, sizeof why));
        else if (cr.code == 10) r_fail(o, "create with %s succeeded", cases[i].what);
        r_cex(o, "%s: %s", cases[i].what, cr.msg);
    }
    spl_impl_store_remove(&c->im, o->store);
    /* store names that name nothing creatable */
    const char *names[] = {NULL, "", c->im.backend == SPL_BACKEND_FILE ? "/nonexistent-dir-splsuite/x.spl" : "/splsuite/inner/slash"};
    const char *nwhat[] = {"a NULL name", "an empty name", c->im.backend == SPL_BACKEND_FILE ? "a path in a missing directory" : "a shm name with inner slashes"};
    for (size_t i = 0; i < 3; i++) {
        struct geo g = {c, names[i], 8, 64};
        struct spl_child_result cr;
        spl_child_run(geo_child, &g, 10000000000ull, &cr);
        char why[128];
        if (cr.signal || cr.timed_out) r_fail(o, "create with %s: the implementation %s", nwhat[i], spl_child_describe(&cr, why, sizeof why));
        else if (cr.code == 10) r_fail(o, "create with %s succeeded", nwhat[i]);
        r_cex(o, "%s: %s", nwhat[i], cr.msg);
    }
    /* names: keys longer than 63 bytes are truncated consistently */
    if (store_create(c, o, "sec6k", 16, 64) != 0) return;
    char k1[200], k2[200];
    memset(k1, 'k', 150);
    k1[150] = 0;
    memcpy(k2, k1, 151);
    k2[100] = 'X'; /* differs only after byte 63 */
    want_err(o, CALL(c->im.set(k1, "one", 3)), 0, 0, "set with a 150-byte key");
    char buf[16];
    size_t got = 0;
    struct callres r = CALL(c->im.get(k1, buf, sizeof buf, &got));
    r_check(o, r.rc == 0 && got == 3 && !memcmp(buf, "one", 3), "a value set under a 150-byte key cannot be read back with the same key (get returned %s%s)",
            CRS(r), r.rc ? "" : " with a wrong value");
    r = CALL(c->im.get(k2, buf, sizeof buf, &got));
    r_check(o, r.rc == 0 && got == 3 && !memcmp(buf, "one", 3), "a 150-byte key is not the same key as one differing only after byte 63 (get returned %s)", CRS(r));
    r_pass(o, "absurd geometries and unusable names refused without a crash; keys are their first 63 bytes");
}

/* SEC-007: permissions. Creation honours the umask, and SPLINTER_DEFAULT_UMASK
 * for the creation only; an unprivileged process is refused a store it may
 * not write, cleanly. */
struct perm_arg {
    struct conform *c;
    const char *name;
};

static int perm_child(void *arg, char *msg)
{
    struct perm_arg *a = arg;
    /* become nobody: root would bypass every permission check */
    if (setgid(65534) != 0 || setuid(65534) != 0) {
        snprintf(msg, SPL_MSG_MAX, "cannot drop to uid 65534: %s", strerror(errno));
        return 3;
    }
    errno = 0;
    int rc = a->c->im.open(a->name);
    int err = errno;
    snprintf(msg, SPL_MSG_MAX, "open of a 0600 store owned by root as uid 65534: %d (%s)", rc, strerror(err));
    if (rc == 0) { a->c->im.close(); return 10; }
    return err == EACCES || err == EPERM ? 0 : 4;
}

static mode_t store_mode(struct conform *c, const char *name)
{
    char path[600];
    struct stat sb;
    store_path(c, name, path, sizeof path);
    return stat(path, &sb) == 0 ? sb.st_mode & 0777 : (mode_t)-1;
}

static void rule_sec007(struct conform *c, struct rule_out *o)
{
    /* the process umask */
    mode_t old = umask(027);
    unsetenv("SPLINTER_DEFAULT_UMASK");
    int rc = store_create(c, o, "sec7", 8, 64);
    umask(old);
    if (rc != 0) return;
    c->im.close();
    mode_t m = store_mode(c, o->store);
    r_check(o, m == 0640, "created under umask 027: mode %03o, want 0640 (0666 masked)", (unsigned)m);
    store_remove(c, o);
    /* SPLINTER_DEFAULT_UMASK applies to the creation, and only to it */
    old = umask(022);
    setenv("SPLINTER_DEFAULT_UMASK", "077", 1);
    rc = store_create(c, o, "sec7", 8, 64);
    unsetenv("SPLINTER_DEFAULT_UMASK");
    mode_t after = umask(022);
    umask(old);
    if (rc != 0) return;
    c->im.close();
    m = store_mode(c, o->store);
    r_check(o, m == 0600, "created with SPLINTER_DEFAULT_UMASK=077: mode %03o, want 0600", (unsigned)m);
    r_check(o, after == 022, "the process umask is %03o after creation, want the caller's 022 restored", (unsigned)after);
    /* an unprivileged opener of a root-owned 0600 store */
    char how[200] = "unprivileged open not checked: harness not root";
    if (geteuid() == 0) {
        struct perm_arg pa = {c, o->store};
        struct spl_child_result cr;
        spl_child_run(perm_child, &pa, 5000000000ull, &cr);
        char why[128];
        if (cr.signal || cr.timed_out) r_fail(o, "open without permission: the implementation %s", spl_child_describe(&cr, why, sizeof why));
        else if (cr.code == 10) r_fail(o, "uid 65534 opened a 0600 store owned by root");
        else if (cr.code == 4) r_fail(o, "open without permission failed with the wrong errno");
        if (cr.code == 3) snprintf(how, sizeof how, "unprivileged open not checked: %s", cr.msg);
        else snprintf(how, sizeof how, "uid 65534 refused with EACCES");
        r_cex(o, "%s", cr.msg);
    }
    r_pass(o, "umask 027 -> 0640; SPLINTER_DEFAULT_UMASK=077 -> 0600 with the umask restored; %s", how);
}

/* ---- DUR ----------------------------------------------------------------- */

struct cachestat_range { uint64_t off, len; };
struct cachestat_s { uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted; };
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

static int page_state(const char *path, struct cachestat_s *cs)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct cachestat_range r = {0, 0}; /* len 0: to the end of the file */
    long rc = syscall(__NR_cachestat, fd, &r, cs, 0);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc == 0 ? 0 : -1;
}

static bool persistent_ok(struct conform *c, struct rule_out *o, const char *path)
{
    if (c->im.backend != SPL_BACKEND_FILE) { r_skip(o, "%s is a shm implementation: nothing is persistent", c->im.label); return false; }
    struct statfs sf;
    char dir[512];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    if (statfs(dir[0] ? dir : "/", &sf) == 0 && sf.f_type == TMPFS_MAGIC) {
        r_skip(o, "%s is on tmpfs: there is no stable storage to flush to (set TMPDIR to a disk)", dir);
        return false;
    }
    return true;
}

/* DUR-001: after splinter_flush(s), none of the store's pages is dirty. */
static void rule_dur001(struct conform *c, struct rule_out *o)
{
    char path[512];
    spl_impl_store_name(&c->im, "dur1", path, sizeof path);
    if (!persistent_ok(c, o, path)) return;
    if (store_create(c, o, "dur1", 64, 4096) != 0) return;
    struct cachestat_s cs;
    if (page_state(o->store, &cs) != 0) {
        r_skip(o, "cachestat(2) unavailable (%s; Linux 6.5+): dirty pages cannot be counted", strerror(errno));
        return;
    }
    uint8_t val[4096];
    int strategies = 0;
    char done[256] = "";
    for (int s = 0; s < 5; s++) {
        for (unsigned k = 0; k < 48; k++) {
            char key[32];
            snprintf(key, sizeof key, "dur-%u", k);
            spl_payload_make(val, sizeof val, k, (uint32_t)s, k);
            c->im.set(key, val, sizeof val);
        }
        page_state(o->store, &cs);
        uint64_t dirty_before = cs.nr_dirty;
        errno = 0;
        int rc = c->im.flush(s);
        int err = errno;
        if (rc != 0 && (err == ENOTSUP || err == EOPNOTSUPP || err == EINVAL) && s > 0) continue; /* strategy not built */
        page_state(o->store, &cs);
        r_check(o, rc == 0, "splinter_flush(%d) returned %d (%s)", s, rc, strerror(err));
        if (dirty_before == 0) { r_cex(o, "strategy %d: the kernel had already written the pages back; not judged", s); continue; }
        r_check(o, cs.nr_dirty == 0 && cs.nr_writeback == 0,
                "splinter_flush(%d) returned %d but %llu of the store's pages are still dirty (%llu under writeback; %llu dirty before)", s,
                rc, (unsigned long long)cs.nr_dirty, (unsigned long long)cs.nr_writeback, (unsigned long long)dirty_before);
        strategies++;
        size_t l = strlen(done);
        snprintf(done + l, sizeof done - l, "%s%d (%llu dirty -> 0)", l ? ", " : "", s, (unsigned long long)dirty_before);
    }
    if (!strategies && !r_failed(o)) { r_skip(o, "no flush left dirty pages to judge"); return; }
    r_pass(o, "after each flush no page of the store was dirty (cachestat): strategies %s", done);
}

struct dur_arg {
    struct conform *c;
    char name[512];
};

static int dur_reader(void *arg, char *msg)
{
    struct dur_arg *a = arg;
    if (a->c->im.open(a->name) != 0) { snprintf(msg, SPL_MSG_MAX, "reopen failed: %s", strerror(errno)); return 1; }
    uint8_t buf[1024];
    for (unsigned k = 0; k < 32; k++) {
        char key[32];
        size_t got = 0;
        snprintf(key, sizeof key, "keep-%u", k);
        int rc = a->c->im.get(key, buf, sizeof buf, &got);
        enum spl_payload_verdict v = rc == 0 ? spl_payload_check(buf, got, k, NULL) : SPL_PAYLOAD_SHORT;
        if (rc != 0 || v != SPL_PAYLOAD_OK) {
            snprintf(msg, SPL_MSG_MAX, "after close and reopen by another process, %s: %s", key, rc ? strerror(errno) : spl_payload_verdict_str(v));
            return 1;
        }
    }
    a->c->im.close();
    return 0;
}

/* DUR-002: what was written is there after close and reopen by another process. */
static void rule_dur002(struct conform *c, struct rule_out *o)
{
    char path[512];
    spl_impl_store_name(&c->im, "dur2", path, sizeof path);
    if (c->im.backend != SPL_BACKEND_FILE) { r_skip(o, "%s is a shm implementation: nothing is persistent", c->im.label); return; }
    if (store_create(c, o, "dur2", 64, 1024) != 0) return;
    uint8_t val[1024];
    for (unsigned k = 0; k < 32; k++) {
        char key[32];
        snprintf(key, sizeof key, "keep-%u", k);
        size_t len = 64 + k * 29;
        spl_payload_make(val, len, k, 0, k);
        if (c->im.set(key, val, len) != 0) { r_fail(o, "set(%s): %s", key, strerror(errno)); return; }
    }
    c->im.close();
    struct dur_arg a = {.c = c};
    snprintf(a.name, sizeof a.name, "%s", o->store);
    struct spl_child_result cr;
    spl_child_run(dur_reader, &a, 10000000000ull, &cr);
    char why[128];
    if (!(cr.exited && cr.code == 0)) r_fail(o, "%s", cr.msg[0] ? cr.msg : spl_child_describe(&cr, why, sizeof why));
    else r_pass(o, "32 values intact after close and reopen by another process");
}

static const char *const needs_basic[] = {"set", "get", NULL};
static const char *const needs_perm[] = {"create", "open", NULL};
static const char *const needs_flush[] = {"set", "flush", NULL};

const struct rule sec_rules[] = {
    {.id = "SEC-001", .severity = SEV_CRITICAL, .title = "truncated store files (half, inside the header, empty) are refused, never mapped past their end",
     .needs = needs_basic, .run = rule_sec001, .timeout_s = 30},
    {.id = "SEC-002", .severity = SEV_MAJOR, .title = "a wrong magic or format version is refused",
     .needs = needs_basic, .run = rule_sec002, .timeout_s = 30},
    {.id = "SEC-003", .severity = SEV_CRITICAL, .title = "a geometry larger than the file, or overflowing, is refused",
     .needs = needs_basic, .run = rule_sec003, .timeout_s = 30},
    {.id = "SEC-004", .severity = SEV_CRITICAL, .title = "slot offsets/lengths outside the value arena are refused or contained, never followed",
     .needs = needs_basic, .run = rule_sec004, .timeout_s = 30},
    {.id = "SEC-005", .severity = SEV_MAJOR, .title = "open and create do not follow symlinks planted at the store's name",
     .needs = needs_basic, .run = rule_sec005, .timeout_s = 30},
    {.id = "SEC-006", .severity = SEV_MAJOR, .title = "absurd geometries and names are refused without a crash (1 GiB address-space cap); keys are their first 63 bytes",
     .needs = needs_basic, .run = rule_sec006, .timeout_s = 60},
    {.id = "SEC-007", .severity = SEV_MAJOR, .title = "creation honours the umask and SPLINTER_DEFAULT_UMASK (creation only); no access without permission",
     .needs = needs_perm, .run = rule_sec007, .timeout_s = 30},
};
const size_t sec_nrules = sizeof sec_rules / sizeof sec_rules[0];

const struct rule dur_rules[] = {
    {.id = "DUR-001", .severity = SEV_CRITICAL, .title = "after splinter_flush no page of the store is dirty in the page cache (cachestat), every strategy",
     .needs = needs_flush, .run = rule_dur001, .timeout_s = 60},
    {.id = "DUR-002", .severity = SEV_CRITICAL, .title = "values written survive close and reopen by another process",
     .needs = needs_basic, .run = rule_dur002, .timeout_s = 30},
};
const size_t dur_nrules = sizeof dur_rules / sizeof dur_rules[0];
