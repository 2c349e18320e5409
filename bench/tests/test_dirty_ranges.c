/*
 * test_dirty_ranges.c - the pages a flush of some slots must cover, on
 * images laid out by hand (128- and 3200-byte slots): the header page is
 * always there, each slot's record page and value pages are, neighbours
 * coalesce, duplicates collapse, and a value outside the arena is skipped.
 * Table-driven: each row is a set of slots and the ranges a correct
 * msync-ranges or sync_file_range flush must cover.
 */
#include "helpers.h"
#include "flush.h"

#include <stdlib.h>
#include <string.h>

enum { PG = 4096, NSLOTS = 64, MAXV = 1024 };

/* A fresh image with val_off = i x max_val for every slot; slot 63 gets a
 * val_off past the arena (a hostile value offset). */
static uint8_t *image(size_t ss, size_t *len)
{
    *len = SPLINTER_HEADER_SIZE + NSLOTS * (ss + MAXV);
    uint8_t *b = aligned_alloc(64, (*len + 63) & ~(size_t)63);
    if (!b) abort();
    memset(b, 0, *len);
    struct splinter_header *H = (struct splinter_header *)b;
    H->magic = SPLINTER_MAGIC;
    H->version = SPLINTER_VER;
    H->slots = NSLOTS;
    H->max_val_sz = MAXV;
    for (uint32_t i = 0; i < NSLOTS; i++)
        ((struct splinter_slot *)(b + SPLINTER_HEADER_SIZE + i * ss))->val_off = i < NSLOTS - 1 ? i * MAXV : NSLOTS * MAXV;
    return b;
}

struct want { uint64_t off, len; };
static const struct {
    const char *what;
    size_t ss;
    uint64_t slots[4];
    int nslots;
    uint64_t vsize;
    struct want r[6];
    int nr;
} cases[] = {
    /* 128-byte slots: records at 5440 + i*128, values at 5440 + 64*128 = 13632 + off */
    {"no slot: the header page alone", 128, {0}, 0, 64, {{0, PG}}, 1},
    {"slot 0: header, its record (page 1), its value (page 3)", 128, {0}, 1, 64, {{0, 2 * PG}, {3 * PG, PG}}, 2},
    {"slot 0 twice: no duplicate pages", 128, {0, 0}, 2, 64, {{0, 2 * PG}, {3 * PG, PG}}, 2},
    {"slots 0 and 1: values share a page", 128, {0, 1}, 2, 64, {{0, 2 * PG}, {3 * PG, PG}}, 2},
    {"slot 2: a value across a page boundary", 128, {2}, 1, 1024, {{0, 2 * PG}, {3 * PG, 2 * PG}}, 2},
    {"slot 20: its record on page 1, its value on page 8", 128, {20}, 1, 64, {{0, 2 * PG}, {8 * PG, PG}}, 2},
    {"vsize 0 still covers the value's first byte", 128, {0}, 1, 0, {{0, 2 * PG}, {3 * PG, PG}}, 2},
    {"slot 63: val_off outside the arena is skipped", 128, {63}, 1, 64, {{0, PG}}, 1},
    /* 3200-byte (embeddings) slots: records at 5440 + i*3200, values at 5440 + 64*3200 = 210240 + off */
    {"embeddings: slot 0 record (page 1), value (page 51)", 3200, {0}, 1, 64, {{0, 2 * PG}, {51 * PG, PG}}, 2},
    {"embeddings: slot 2 record starts on page 2", 3200, {2}, 1, 64, {{0, PG}, {2 * PG, PG}, {51 * PG, PG}}, 3},
};

TEST(ranges)
{
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t len;
        uint8_t *b = image(cases[c].ss, &len);
        struct spl_storeview v;
        CHECK(spl_sv_wrap(&v, b, len, 0) == 0, "%s: wrap: %s", cases[c].what, strerror(errno));
        CHECK(v.slot_size == cases[c].ss, "%s: slot size %zu", cases[c].what, v.slot_size);
        uint64_t pages[64];
        struct range out[64];
        size_t nr = flush_dirty_ranges(&v, cases[c].slots, (uint64_t)cases[c].nslots, cases[c].vsize, PG, pages, out);
        bool same = nr == (size_t)cases[c].nr;
        for (size_t i = 0; same && i < nr; i++) same = out[i].off == cases[c].r[i].off && out[i].len == cases[c].r[i].len;
        char got[256] = "";
        for (size_t i = 0, o = 0; i < nr && o < sizeof got; i++)
            o += (size_t)snprintf(got + o, sizeof got - o, " [%llu,+%llu)", (unsigned long long)out[i].off,
                                  (unsigned long long)out[i].len);
        CHECK(same, "%s: got%s", cases[c].what, got);
        spl_sv_close(&v);
        free(b);
    }
}

int main(void)
{
    RUN(ranges);
    return T_DONE("dirty ranges");
}
