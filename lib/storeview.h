/*
 * storeview.h - a store's bytes, read without any implementation.
 *
 * The one place of the suite that knows how a format-v4 region is laid out
 * (format-v4.md; the structs of ref/include/splinter.h, static-asserted
 * against it): where the header, the slot table and the value arena are,
 * how big a slot is (128 bytes, or 3200 in an embeddings build, told apart
 * by the geometry and the region's size), where a key lives (FNV-1a 64 over
 * its first 63 bytes, linear probing from hash % slots). It never calls an
 * implementation and shares no code with ref/src, so it can say that the
 * reference itself wrote something wrong.
 *
 * Every accessor is bounds-checked against the mapped size: a hostile or
 * half-written image gives NULL or -1, never a read outside the region.
 * Fields that other processes change (epochs, lengths, flags) are read with
 * atomics through the typed pointers; a caller that must not be fooled by a
 * concurrent writer reads each field once into a local.
 *
 *   struct spl_storeview v;
 *   if (spl_sv_open_shm(&v, "/mystore", 0) != 0) err(1, "open");   // or spl_sv_open(&v, path, SPL_SV_WRITE)
 *   long i = spl_sv_find(&v, "key");
 *   const uint8_t *val = i >= 0 ? spl_sv_value(&v, (uint32_t)i) : NULL; // NULL: val_off/val_len outside the arena
 *   spl_sv_close(&v);
 */
#ifndef SPLSUITE_STOREVIEW_H
#define SPLSUITE_STOREVIEW_H

#include "splinter.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPL_SV_SLOT_SIZE 128u      /* format v4 slot */
#define SPL_SV_SLOT_SIZE_EMB 3200u /* embeddings build: + 768 floats */

enum spl_sv_flags {
    SPL_SV_WRITE = 1 << 0,     /* map (or wrap) writable: the harness may damage or clear bytes */
    SPL_SV_ANY_HEADER = 1 << 1, /* accept a wrong magic or version (fsck, hostile-file rules) */
    SPL_SV_ANY_SIZE = 1 << 2,   /* accept a region shorter or longer than its geometry: accessors
                                 * then reach only what is mapped (fsck of a truncated image) */
};

/* What a header's geometry says, against the region's real size. */
struct spl_sv_geometry {
    uint32_t slots, max_val;
    size_t slot_size;       /* 128 or 3200 (3200 only when the size says so exactly) */
    uint64_t expected_size; /* 5440 + slots x (slot_size + max_val) */
    uint64_t arena;         /* slots x max_val */
    bool size_matches;      /* expected_size == the region's size */
};

struct spl_storeview {
    uint8_t *base;
    size_t size;               /* bytes mapped (or wrapped) */
    struct splinter_header *H; /* base; valid: size >= SPLINTER_HEADER_SIZE */
    uint8_t *slot_table;       /* base + 5440 */
    uint8_t *values;           /* slot_table + slots x slot_size */
    uint32_t slots, max_val;
    size_t slot_size;
    uint64_t arena;            /* slots x max_val, as the geometry says */
    unsigned flags;
    bool mapped;               /* spl_sv_close unmaps */
};

/* Bytes of a region of slots x max_val with slot_size-byte slots:
 * 5440 + slots x (slot_size + max_val); 0 if that overflows. */
uint64_t spl_sv_region_size(uint32_t slots, uint32_t max_val, size_t slot_size);

/* Geometry of (buf, len): 0, or -1 with errno EBADMSG (shorter than a header,
 * zero or overflowing geometry) or, without SPL_SV_ANY_HEADER, EBADMSG for a
 * wrong magic and EPROTONOSUPPORT for another version. Reads buf with memcpy:
 * any alignment, any length. */
int spl_sv_geometry(const void *buf, size_t len, unsigned flags, struct spl_sv_geometry *g);

/* Maps the store at a filesystem path (a file, or /dev/shm/NAME). 0, or -1
 * with errno (open/mmap errors, or those of spl_sv_geometry; EBADMSG when the
 * size does not match the geometry unless SPL_SV_ANY_SIZE). */
int spl_sv_open(struct spl_storeview *v, const char *path, unsigned flags);
/* The same for a file the caller has open (and keeps: fsync, io_uring);
 * the mapping outlives a close of fd. */
int spl_sv_open_fd(struct spl_storeview *v, int fd, unsigned flags);
/* A POSIX shm store by name ("/name" or "name"): maps /dev/shm/name. */
int spl_sv_open_shm(struct spl_storeview *v, const char *name, unsigned flags);
/* Wraps a caller's image (not copied, not freed). buf must be 64-byte aligned
 * for the typed accessors (EINVAL otherwise): an mmap'ed or aligned_alloc'ed
 * buffer. SPL_SV_WRITE says the caller allows writes through the view. */
int spl_sv_wrap(struct spl_storeview *v, void *buf, size_t len, unsigned flags);
void spl_sv_close(struct spl_storeview *v);
/* "/dev/shm/name" for a shm store name. */
void spl_sv_shm_path(const char *name, char *buf, size_t len);

/* ---- bounds-checked accessors (NULL / -1 when outside what is mapped) ---- */
/* Slot i, with the store's own stride; the first 128 bytes are struct splinter_slot. */
struct splinter_slot *spl_sv_slot(const struct spl_storeview *v, uint32_t i);
/* The embeddings of slot i (768 floats), or NULL when slots are 128 bytes. */
float *spl_sv_embedding(const struct spl_storeview *v, uint32_t i);
/* n bytes at slot i's val_off, or NULL when [val_off, val_off + n) leaves the
 * arena or the mapping. */
uint8_t *spl_sv_bytes(const struct spl_storeview *v, uint32_t i, size_t n);
/* Slot i's value (val_len bytes at val_off; *len set when non-NULL), or NULL
 * when val_off/val_len fall outside the arena. */
const uint8_t *spl_sv_value(const struct spl_storeview *v, uint32_t i, size_t *len);
/* Slot i's own value area as a fresh store lays it out: i x max_val_sz,
 * max_val_sz bytes, whatever val_off says (NULL outside the mapping). */
uint8_t *spl_sv_home_area(const struct spl_storeview *v, uint32_t i);
/* Shard bid record i (0..31). */
struct splinter_shard_bid *spl_sv_bid(const struct spl_storeview *v, unsigned i);
struct splinter_event_bus *spl_sv_bus(const struct spl_storeview *v);
uint64_t spl_sv_global_epoch(const struct spl_storeview *v);
uint64_t spl_sv_signal_count(const struct spl_storeview *v, unsigned group);
/* Byte offset of p inside the region (for messages), or -1. */
long long spl_sv_offset(const struct spl_storeview *v, const void *p);

/* ---- keys ------------------------------------------------------------------ */
/* FNV-1a 64 over the key's first 63 bytes (what a slot stores). */
uint64_t spl_sv_fnv1a(const char *key);
/* Index of key's live slot along its probe chain (home = hash % slots, then
 * linear over every slot, as format-v4.md says), or -1. */
long spl_sv_find(const struct spl_storeview *v, const char *key);
/* Live slots holding key, by a full scan (a duplicate is > 1). */
int spl_sv_count_key(const struct spl_storeview *v, const char *key);

#endif
