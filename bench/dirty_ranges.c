/*
 * dirty_ranges.c - which pages of a store a flush of some slots must make
 * durable, read from the store's bytes (lib/storeview), never from the
 * implementation. Shared by the msync-ranges and sync_file_range strategies.
 */
#include "flush.h"

#include <stdlib.h>

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

size_t flush_dirty_ranges(const struct spl_storeview *v, const uint64_t *slot_idx, uint64_t n, uint64_t vsize,
                          uint64_t pagesize, uint64_t *pages, struct range *out)
{
    const uint64_t pg = pagesize;
    size_t np = 0;
    pages[np++] = 0; /* the header: the global epoch */
    for (uint64_t i = 0; i < n; i++) {
        const struct splinter_slot *s = spl_sv_slot(v, (uint32_t)slot_idx[i]);
        const uint8_t *val = s ? spl_sv_bytes(v, (uint32_t)slot_idx[i], vsize ? vsize : 1) : NULL;
        if (!s || !val) continue;
        /* the epoch and length a set writes sit in the record's first bytes */
        pages[np++] = (uint64_t)spl_sv_offset(v, s) / pg;
        uint64_t a = (uint64_t)spl_sv_offset(v, val), e = a + (vsize ? vsize : 1) - 1;
        for (uint64_t p = a / pg; p <= e / pg; p++) pages[np++] = p;
    }
    qsort(pages, np, sizeof *pages, cmp_u64);
    size_t nr = 0;
    for (size_t i = 0; i < np; i++) {
        if (nr && out[nr - 1].off + out[nr - 1].len == pages[i] * pg) out[nr - 1].len += pg;
        else if (!nr || out[nr - 1].off + out[nr - 1].len < pages[i] * pg) out[nr++] = (struct range){pages[i] * pg, pg};
    }
    return nr;
}
