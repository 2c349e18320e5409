/*
 * common.c - verdicts, stores, the independent byte view, clocks.
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

bool r_check(struct rule_out *o, bool ok, const char *fmt, ...)
{
    if (ok) return true;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    r_fail(o, "%s", buf);
    r_cex(o, "%s", buf);
    return false;
}

bool r_failed(const struct rule_out *o) { return o->result == SPL_FAIL; }

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

void store_remove(struct conform *c, struct rule_out *o)
{
    if (!o->store[0]) return;
    spl_impl_store_remove(&c->im, o->store);
    o->store[0] = '\0';
}

void store_path(struct conform *c, const char *name, char *buf, size_t len) { spl_impl_store_path(&c->im, name, buf, len); }

uint64_t fnv1a_key(const char *key)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < SPLINTER_KEY_MAX - 1 && key[i]; i++) h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
    return h;
}

static const char *view_unsupported;
static bool view_was_refused;

void view_set_unsupported(const char *why) { view_unsupported = why; }
const char *view_refused(void) { return view_was_refused ? view_unsupported : NULL; }

int view_open(struct view *v, const char *path, bool writable)
{
    memset(v, 0, sizeof *v);
    if (view_unsupported) {
        view_was_refused = true;
        errno = ENOTSUP;
        return -1;
    }
    int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || (size_t)sb.st_size < SPLINTER_HEADER_SIZE) {
        close(fd);
        errno = EBADMSG;
        return -1;
    }
    v->size = (size_t)sb.st_size;
    v->base = mmap(NULL, v->size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
    close(fd);
    if (v->base == MAP_FAILED) { v->base = NULL; return -1; }
    v->H = v->base;
    v->slots = v->H->slots;
    v->max_val = v->H->max_val_sz;
    uint64_t need = SPLINTER_HEADER_SIZE + (uint64_t)v->slots * (SPLINTER_SLOT_SIZE + v->max_val);
    if (need > v->size) { view_close(v); errno = EBADMSG; return -1; }
    v->S = (struct splinter_slot *)((uint8_t *)v->base + SPLINTER_HEADER_SIZE);
    v->V = (uint8_t *)v->S + (size_t)v->slots * SPLINTER_SLOT_SIZE;
    return 0;
}

void view_close(struct view *v)
{
    if (v->base) munmap(v->base, v->size);
    memset(v, 0, sizeof *v);
}

long view_find(const struct view *v, const char *key)
{
    uint64_t h = fnv1a_key(key);
    if (!v->slots) return -1;
    size_t home = (size_t)(h % v->slots);
    for (uint32_t i = 0; i < v->slots; i++) {
        size_t idx = (home + i) % v->slots;
        const struct splinter_slot *s = &v->S[idx];
        uint64_t sh = atomic_load(&((struct splinter_slot *)s)->hash);
        if (sh == h && strncmp(s->key, key, SPLINTER_KEY_MAX - 1) == 0) return (long)idx;
    }
    return -1;
}

int view_count_key(const struct view *v, const char *key)
{
    int n = 0;
    for (uint32_t i = 0; i < v->slots; i++)
        if (atomic_load(&v->S[i].hash) != 0 && strncmp(v->S[i].key, key, SPLINTER_KEY_MAX - 1) == 0) n++;
    return n;
}

uint64_t ticks_per_ms(const struct conform *c) { return c->tps / 1000 ? c->tps / 1000 : 1; }
