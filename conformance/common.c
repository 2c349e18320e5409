/*
 * common.c - verdicts, stores, clocks.
 */
#include "conform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((format(printf, 3, 0))) static void vset(char *dst, size_t n, const char *fmt, va_list ap) { vsnprintf(dst, n, fmt, ap); }

void r_pass(struct rule_out *o, const char *fmt, ...)
{
    if (o->result == SPL_FAIL) return; /* a failure found earlier stands */
    va_list ap;
    va_start(ap, fmt);
    vset(o->detail, sizeof o->detail, fmt, ap);
    va_end(ap);
    o->result = SPL_PASS;
}

void r_fail(struct rule_out *o, const char *fmt, ...)
{
    if (o->result == SPL_FAIL) return; /* keep the first reason */
    va_list ap;
    va_start(ap, fmt);
    vset(o->detail, sizeof o->detail, fmt, ap);
    va_end(ap);
    o->result = SPL_FAIL;
}

void r_skip(struct rule_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(o->detail, sizeof o->detail, fmt, ap);
    va_end(ap);
    o->result = SPL_SKIP;
}

void r_error(struct rule_out *o, const char *fmt, ...)
{
    if (o->result == SPL_FAIL) return;
    va_list ap;
    va_start(ap, fmt);
    vset(o->detail, sizeof o->detail, fmt, ap);
    va_end(ap);
    o->result = SPL_ERROR;
}

void r_cex(struct rule_out *o, const char *fmt, ...)
{
    o->ncex++;
    if (o->ncex > 8) {
        if (o->ncex == 9 && o->cex_len + 40 < sizeof o->cex)
            o->cex_len += (size_t)snprintf(o->cex + o->cex_len, sizeof o->cex - o->cex_len, "%s(further observations omitted)",
                                           o->cex_len ? "\n" : "");
        return;
    }
    if (o->cex_len + 2 >= sizeof o->cex) return;
    if (o->cex_len) o->cex[o->cex_len++] = '\n';
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->cex + o->cex_len, sizeof o->cex - o->cex_len, fmt, ap);
    va_end(ap);
    if (n > 0) o->cex_len += (size_t)n < sizeof o->cex - o->cex_len ? (size_t)n : sizeof o->cex - o->cex_len - 1;
}

void r_check_failed(struct rule_out *o, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    r_fail(o, "%s", buf);
    r_cex(o, "%s", buf);
}

bool r_failed(const struct rule_out *o) { return o->result == SPL_FAIL; }

const char *errno_name(int err)
{
    static __thread char buf[32];
    if (err == ERRNO_POISON) return "errno untouched";
    if (err == 0) return "errno 0";
    const char *n = strerrorname_np(err);
    if (n) return n;
    snprintf(buf, sizeof buf, "errno %d", err);
    return buf;
}

const char *callres_str(struct callres r, char *buf, size_t n)
{
    if (r.rc < 0) snprintf(buf, n, "%ld (%s)", r.rc, errno_name(r.err));
    else snprintf(buf, n, "%ld", r.rc);
    return buf;
}

bool want_err(struct rule_out *o, struct callres r, long want_rc, int want_errno, const char *what, ...)
{
    /* errno is judged on failures only: a success may leave anything there */
    if (r.rc == want_rc && (want_rc >= 0 && !want_errno ? true : want_errno ? r.err == want_errno : r.err != ERRNO_POISON)) return true;
    char w[512];
    va_list ap;
    va_start(ap, what);
    vsnprintf(w, sizeof w, what, ap);
    va_end(ap);
    char want[64];
    if (want_errno) snprintf(want, sizeof want, "%ld %s", want_rc, errno_name(want_errno));
    else if (want_rc < 0) snprintf(want, sizeof want, "%ld with errno set", want_rc);
    else snprintf(want, sizeof want, "%ld", want_rc);
    char got[96];
    if (r.rc >= 0 && want_errno) snprintf(got, sizeof got, "%ld (%s)", r.rc, errno_name(r.err)); /* the errno is the point here */
    else callres_str(r, got, sizeof got);
    return r_check(o, false, "%s returned %s, want %s", w, got, want);
}

int store_create(struct conform *c, struct rule_out *o, const char *tag, size_t slots, size_t max_val)
{
    spl_impl_store_name(&c->im, tag, o->store, sizeof o->store);
    spl_impl_store_remove(&c->im, o->store);
    errno = 0;
    int rc = c->im.create(o->store, slots, max_val);
    if (rc != 0) {
        r_error(o, "splinter_create(%s, %zu, %zu) = %d (%s): cannot set up the rule", o->store, slots, max_val, rc,
                strerror(errno));
        o->store[0] = '\0';
        return -1;
    }
    return 0;
}

int file_patch(const char *path, off_t off, const void *bytes, size_t n)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t w = pwrite(fd, bytes, n, off);
    close(fd);
    return w == (ssize_t)n ? 0 : -1;
}

uint64_t file_sum(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f) return 0;
    uint64_t h = 1469598103934665603ULL;
    int ch;
    while ((ch = getc(f)) != EOF) h = (h ^ (unsigned char)ch) * 1099511628211ULL;
    fclose(f);
    return h;
}

int worker_open(struct spl_worker *w, struct spl_impl *im, const char *store)
{
    if (im->open(store) == 0) return 0;
    spl_worker_msg(w, "splinter_open(%s) failed: %s", store, strerror(errno));
    spl_barrier_break(w->bar);
    return -1;
}

void store_remove(struct conform *c, struct rule_out *o)
{
    if (!o->store[0]) return;
    spl_impl_store_remove(&c->im, o->store);
    o->store[0] = '\0';
}

void store_path(struct conform *c, const char *name, char *buf, size_t len) { spl_impl_store_path(&c->im, name, buf, len); }

int store_view(struct conform *c, struct rule_out *o, struct spl_storeview *v, unsigned flags)
{
    char path[512];
    store_path(c, o->store, path, sizeof path);
    if (spl_sv_open(v, path, flags) != 0) {
        r_error(o, "cannot map %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

struct other_arg {
    struct conform *c;
    const char *store;
    other_fn fn;
    void *arg;
};

static int other_child(void *arg, char *msg)
{
    struct other_arg *a = arg;
    errno = 0;
    if (a->c->im.open(a->store) != 0) {
        snprintf(msg, SPL_MSG_MAX, "open(%s) in the other process failed: %s", a->store, errno_name(errno));
        return 1;
    }
    int rc = a->fn(a->c, a->arg, msg);
    a->c->im.close();
    return rc;
}

bool in_other_process(struct conform *c, struct rule_out *o, const char *store, other_fn fn, void *arg, const char *what)
{
    struct other_arg a = {c, store, fn, arg};
    struct spl_child_result cr;
    if (spl_child_run(other_child, &a, 10000000000ull, &cr) != 0) {
        r_error(o, "fork: %s", strerror(errno));
        return false;
    }
    if (cr.exited && cr.code == 0) return true;
    char why[128];
    if (cr.signal || cr.timed_out) return r_check(o, false, "%s: the other process %s", what, spl_child_describe(&cr, why, sizeof why));
    return r_check(o, false, "%s: %s", what, cr.msg[0] ? cr.msg : spl_child_describe(&cr, why, sizeof why));
}

long long mapped_file_offset(const void *p, const char *name_part)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f) return -1;
    char line[4096];
    long long off = -1;
    uintptr_t a = (uintptr_t)p;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi, pgoff;
        char perms[8];
        int path_at = 0;
        if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &lo, &hi, perms, &pgoff, &path_at) < 4) continue;
        if (a < lo || a >= hi) continue;
        if (path_at && strstr(line + path_at, name_part)) off = (long long)(a - lo) + (long long)pgoff;
        break;
    }
    fclose(f);
    return off;
}

uint64_t ticks_per_ms(const struct conform *c) { return c->tps / 1000 ? c->tps / 1000 : 1; }
