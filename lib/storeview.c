/*
 * storeview.c - a store's bytes, read without any implementation (storeview.h).
 */
#include "storeview.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static bool total_for(uint32_t n, uint32_t mv, uint64_t ss, uint64_t *out)
{
    uint64_t t;
    if (__builtin_mul_overflow((uint64_t)n, ss + mv, &t) || __builtin_add_overflow(t, (uint64_t)SPLINTER_HEADER_SIZE, &t))
        return false;
    *out = t;
    return true;
}

uint64_t spl_sv_region_size(uint32_t slots, uint32_t max_val, size_t slot_size)
{
    uint64_t t;
    return total_for(slots, max_val, slot_size, &t) ? t : 0;
}

int spl_sv_geometry(const void *buf, size_t len, unsigned flags, struct spl_sv_geometry *g)
{
    memset(g, 0, sizeof *g);
    const uint8_t *b = buf;
    if (!b || len < SPLINTER_HEADER_SIZE) { errno = EBADMSG; return -1; }
    if (!(flags & SPL_SV_ANY_HEADER)) {
        if (rd32(b + offsetof(struct splinter_header, magic)) != SPLINTER_MAGIC) { errno = EBADMSG; return -1; }
        if (rd32(b + offsetof(struct splinter_header, version)) != SPLINTER_VER) { errno = EPROTONOSUPPORT; return -1; }
    }
    uint32_t n = rd32(b + offsetof(struct splinter_header, slots));
    uint32_t mv = rd32(b + offsetof(struct splinter_header, max_val_sz));
    uint64_t t128, t3200;
    if (n == 0 || mv == 0 || !total_for(n, mv, SPL_SV_SLOT_SIZE, &t128) || !total_for(n, mv, SPL_SV_SLOT_SIZE_EMB, &t3200)) {
        errno = EBADMSG;
        return -1;
    }
    g->slots = n;
    g->max_val = mv;
    g->arena = (uint64_t)n * mv;
    /* an embeddings store is told apart by its exact size; anything else
     * (including a truncated image) is read with the format's 128 */
    g->slot_size = len == t3200 ? SPL_SV_SLOT_SIZE_EMB : SPL_SV_SLOT_SIZE;
    g->expected_size = g->slot_size == SPL_SV_SLOT_SIZE ? t128 : t3200;
    g->size_matches = g->expected_size == len;
    return 0;
}

static int setup(struct spl_storeview *v, uint8_t *base, size_t size, unsigned flags)
{
    struct spl_sv_geometry g;
    if (spl_sv_geometry(base, size, flags, &g) != 0) return -1;
    if (!g.size_matches && !(flags & SPL_SV_ANY_SIZE)) { errno = EBADMSG; return -1; }
    v->base = base;
    v->size = size;
    v->H = (struct splinter_header *)base;
    v->slot_table = base + SPLINTER_HEADER_SIZE;
    v->slots = g.slots;
    v->max_val = g.max_val;
    v->slot_size = g.slot_size;
    v->arena = g.arena;
    /* may lie past the mapping in a truncated image: every accessor checks */
    v->values = v->slot_table + (size_t)g.slots * g.slot_size;
    v->flags = flags;
    return 0;
}

int spl_sv_open(struct spl_storeview *v, const char *path, unsigned flags)
{
    memset(v, 0, sizeof *v);
    int fd = open(path, (flags & SPL_SV_WRITE ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return -1;
    int rc = spl_sv_open_fd(v, fd, flags), e = errno;
    close(fd);
    errno = e;
    return rc;
}

int spl_sv_open_fd(struct spl_storeview *v, int fd, unsigned flags)
{
    memset(v, 0, sizeof *v);
    bool w = flags & SPL_SV_WRITE;
    struct stat sb;
    if (fstat(fd, &sb) != 0) return -1;
    if (!S_ISREG(sb.st_mode) || sb.st_size < (off_t)SPLINTER_HEADER_SIZE) {
        errno = S_ISREG(sb.st_mode) ? EBADMSG : EINVAL;
        return -1;
    }
    size_t size = (size_t)sb.st_size;
    void *base = mmap(NULL, size, PROT_READ | (w ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) return -1;
    if (setup(v, base, size, flags) != 0) {
        int e = errno;
        munmap(base, size);
        memset(v, 0, sizeof *v);
        errno = e;
        return -1;
    }
    v->mapped = true;
    return 0;
}

void spl_sv_shm_path(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "/dev/shm/%s", name[0] == '/' ? name + 1 : name);
}

int spl_sv_open_shm(struct spl_storeview *v, const char *name, unsigned flags)
{
    char path[4096];
    spl_sv_shm_path(name, path, sizeof path);
    return spl_sv_open(v, path, flags);
}

int spl_sv_wrap(struct spl_storeview *v, void *buf, size_t len, unsigned flags)
{
    memset(v, 0, sizeof *v);
    if (!buf || ((uintptr_t)buf & 63)) { errno = EINVAL; return -1; }
    if (setup(v, buf, len, flags) != 0) {
        memset(v, 0, sizeof *v);
        return -1;
    }
    return 0;
}

void spl_sv_close(struct spl_storeview *v)
{
    if (v->mapped && v->base) munmap(v->base, v->size);
    memset(v, 0, sizeof *v);
}

/* [off, off + n) inside the mapping */
static bool mapped(const struct spl_storeview *v, uint64_t off, uint64_t n) { return off <= v->size && n <= v->size - off; }

struct splinter_slot *spl_sv_slot(const struct spl_storeview *v, uint32_t i)
{
    if (!v->base || i >= v->slots) return NULL;
    uint64_t off = SPLINTER_HEADER_SIZE + (uint64_t)i * v->slot_size;
    if (!mapped(v, off, SPL_SV_SLOT_SIZE)) return NULL;
    return (struct splinter_slot *)(v->base + off);
}

float *spl_sv_embedding(const struct spl_storeview *v, uint32_t i)
{
    if (v->slot_size != SPL_SV_SLOT_SIZE_EMB) return NULL;
    uint64_t off = SPLINTER_HEADER_SIZE + (uint64_t)i * v->slot_size + SPL_SV_SLOT_SIZE;
    if (i >= v->slots || !mapped(v, off, SPLINTER_EMBED_DIM * sizeof(float))) return NULL;
    // cppcheck-suppress invalidPointerCast ; by the format these bytes are the slot's float[768] (format-v4.md)
    return (float *)(v->base + off);
}

static uint64_t values_off(const struct spl_storeview *v) { return SPLINTER_HEADER_SIZE + (uint64_t)v->slots * v->slot_size; }

uint8_t *spl_sv_bytes(const struct spl_storeview *v, uint32_t i, size_t n)
{
    struct splinter_slot *s = spl_sv_slot(v, i);
    if (!s) return NULL;
    uint64_t off = s->val_off; /* read once */
    if (off > v->arena || n > v->arena - off) return NULL;
    if (!mapped(v, values_off(v) + off, n)) return NULL;
    return v->base + values_off(v) + off;
}

const uint8_t *spl_sv_value(const struct spl_storeview *v, uint32_t i, size_t *len)
{
    struct splinter_slot *s = spl_sv_slot(v, i);
    if (!s) return NULL;
    size_t n = atomic_load_explicit(&s->val_len, memory_order_acquire);
    const uint8_t *p = spl_sv_bytes(v, i, n);
    if (p && len) *len = n;
    return p;
}

uint8_t *spl_sv_home_area(const struct spl_storeview *v, uint32_t i)
{
    if (!v->base || i >= v->slots) return NULL;
    uint64_t off = values_off(v) + (uint64_t)i * v->max_val;
    return mapped(v, off, v->max_val) ? v->base + off : NULL;
}

struct splinter_shard_bid *spl_sv_bid(const struct spl_storeview *v, unsigned i)
{
    if (!v->base || i >= SPLINTER_MAX_SHARDS) return NULL;
    return &v->H->shard_bids[i];
}

struct splinter_event_bus *spl_sv_bus(const struct spl_storeview *v) { return v->base ? &v->H->event_bus : NULL; }

uint64_t spl_sv_global_epoch(const struct spl_storeview *v)
{
    return v->base ? atomic_load_explicit(&v->H->epoch, memory_order_acquire) : 0;
}

uint64_t spl_sv_signal_count(const struct spl_storeview *v, unsigned group)
{
    if (!v->base || group >= SPLINTER_MAX_GROUPS) return 0;
    return atomic_load_explicit(&v->H->signal_groups[group].counter, memory_order_acquire);
}

long long spl_sv_offset(const struct spl_storeview *v, const void *p)
{
    const uint8_t *q = p;
    if (!v->base || q < v->base || q >= v->base + v->size) return -1;
    return (long long)(q - v->base);
}

uint64_t spl_sv_fnv1a(const char *key)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < SPLINTER_KEY_MAX - 1 && key[i]; i++) h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
    return h;
}

static bool holds(struct splinter_slot *s, uint64_t h, const char *key)
{
    return atomic_load_explicit(&s->hash, memory_order_acquire) == h && strncmp(s->key, key, SPLINTER_KEY_MAX - 1) == 0;
}

long spl_sv_find(const struct spl_storeview *v, const char *key)
{
    if (!v->base || !v->slots) return -1;
    uint64_t h = spl_sv_fnv1a(key);
    uint32_t home = (uint32_t)(h % v->slots);
    for (uint32_t i = 0; i < v->slots; i++) {
        uint32_t idx = (uint32_t)(((uint64_t)home + i) % v->slots);
        struct splinter_slot *s = spl_sv_slot(v, idx);
        if (s && holds(s, h, key)) return (long)idx;
    }
    return -1;
}

int spl_sv_count_key(const struct spl_storeview *v, const char *key)
{
    int n = 0;
    for (uint32_t i = 0; i < v->slots; i++) {
        struct splinter_slot *s = spl_sv_slot(v, i);
        if (s && atomic_load_explicit(&s->hash, memory_order_acquire) != 0 && strncmp(s->key, key, SPLINTER_KEY_MAX - 1) == 0) n++;
    }
    return n;
}
