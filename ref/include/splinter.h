/*
 * splinter.h - public ABI of the Splinter store, format v4.
 *
 * Written for splinter-suite's reference library (libsplref). The structures
 * below are the store's byte layout: every offset and size is pinned with
 * static_assert against format v4, so a build on a compiler or ABI that would
 * lay them out differently fails here rather than corrupting a shared store.
 *
 * Programs written against the original libsplinter header compile against
 * this one unchanged: every macro, type, struct, field, enum and function of
 * the original header exists here with the same value, type and layout
 * (tests/abi/header-compat.py proves it from tests/abi/orig-names.txt).
 */
#ifndef SPLINTER_H
#define SPLINTER_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#if !defined(__x86_64__) && !defined(__i386__) && !defined(__aarch64__) && !defined(__arm__)
#include <time.h> /* splinter_now's clock_gettime fallback */
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Same values and types as the original's (int, int, unsigned long long):
 * code like printf("%llu", NS_PER_MS) must compile the same against both. */
#define SPLINTER_MAGIC 0x534C4E54
#define SPLINTER_VER 4
#define SPLINTER_KEY_MAX 64
#define SPLINTER_MAX_GROUPS 64
#define SPLINTER_MAX_SHARDS 32
#define SPLINTER_MAX_SLOTS 1024
#define SPLINTER_EVENT_BUS_MASK_WORDS (SPLINTER_MAX_SLOTS / 64)
#define SPLINTER_EMBED_DIM 768
#ifndef NS_PER_MS
#define NS_PER_MS 1000000ULL
#endif

/* header.core_flags */
#define SPL_SYS_AUTO_SCRUB (1u << 0)
#define SPL_SYS_HYBRID_SCRUB (1u << 1)
#define SPL_SYS_RESERVED_2 (1u << 2)
#define SPL_SYS_RESERVED_3 (1u << 3)
#define SPL_SUSR1 (1u << 4)
#define SPL_SUSR2 (1u << 5)
#define SPL_SUSR3 (1u << 6)
#define SPL_SUSR4 (1u << 7)

/* slot.type_flag */
#define SPL_SLOT_TYPE_VOID (1u << 0)
#define SPL_SLOT_TYPE_BIGINT (1u << 1)
#define SPL_SLOT_TYPE_BIGUINT (1u << 2)
#define SPL_SLOT_TYPE_JSON (1u << 3)
#define SPL_SLOT_TYPE_BINARY (1u << 4)
#define SPL_SLOT_TYPE_IMGDATA (1u << 5)
#define SPL_SLOT_TYPE_AUDIO (1u << 6)
#define SPL_SLOT_TYPE_VARTEXT (1u << 7)
#define SPL_SLOT_DEFAULT_TYPE SPL_SLOT_TYPE_VOID

/* slot.user_flag: per-slot user flags (splinter_slot_usr_*) */
#define SPL_FUSR1 (1u << 0)
#define SPL_FUSR2 (1u << 1)
#define SPL_FUSR3 (1u << 2)
#define SPL_FUSR4 (1u << 3)
#define SPL_FUSR5 (1u << 4)
#define SPL_FUSR6 (1u << 5)
#define SPL_FUSR7 (1u << 6)
#define SPL_FUSR8 (1u << 7)

/* splinter_set_slot_time modes */
#define SPL_TIME_CTIME 0
#define SPL_TIME_ATIME 1

/* tandem keys: order i of "car" is "car.i" */
#define SPL_ORDER_ACCESSOR "."

typedef enum {
    SPL_INTENT_NONE = 0,
    SPL_INTENT_WILLNEED = 1,
    SPL_INTENT_SEQUENTIAL = 2,
    SPL_INTENT_RANDOM = 3,
    SPL_INTENT_DONTNEED = 4,
} splinter_intent_t;

typedef enum {
    SPL_OP_AND = 0,
    SPL_OP_OR = 1,
    SPL_OP_XOR = 2,
    SPL_OP_NOT = 3,
    SPL_OP_INC = 4,
    SPL_OP_DEC = 5,
} splinter_integer_op_t;

/* One signal group counter per 64-byte line. */
struct splinter_signal_node {
    alignas(64) atomic_uint_least64_t counter;
};

struct splinter_event_bus {
    atomic_uint_least64_t dirty_mask[SPLINTER_EVENT_BUS_MASK_WORDS];
    atomic_int_least32_t owner_fd;
    atomic_int_least32_t owner_pid;
};

struct splinter_shard_bid {
    atomic_uint_least32_t shard_id; /* 0 = empty; claimed by CAS 0 -> id */
    atomic_uint_least32_t pid;
    atomic_uint_least8_t intent;
    atomic_uint_least8_t priority; /* higher wins */
    atomic_uint_least8_t _pad[2];
    atomic_uint_least64_t duration_tsc; /* window, in splinter_now() ticks */
    atomic_uint_least64_t claimed_at;
};

struct splinter_header {
    uint32_t magic;
    uint32_t version;
    uint32_t slots;
    uint32_t max_val_sz;
    atomic_uint_least64_t epoch;
    atomic_uint_least8_t core_flags;
    atomic_uint_least8_t user_flags;
    atomic_uint_least32_t val_brk;
    uint32_t val_sz;
    uint32_t alignment;
    atomic_uint_least64_t parse_failures;
    atomic_uint_least64_t last_failure_epoch;
    atomic_uint_least8_t bloom_watches[64];
    struct splinter_signal_node signal_groups[SPLINTER_MAX_GROUPS];
    struct splinter_event_bus event_bus;
    alignas(64) struct splinter_shard_bid shard_bids[SPLINTER_MAX_SHARDS];
};

struct splinter_slot {
    alignas(64) atomic_uint_least64_t hash; /* FNV-1a 64 of the key; 0 = empty */
    atomic_uint_least64_t epoch;            /* the slot's seqlock */
    uint32_t val_off;
    atomic_uint_least32_t val_len;
    atomic_uint_least8_t type_flag;
    atomic_uint_least8_t user_flag;
    atomic_uint_least64_t watcher_mask;
    atomic_uint_least64_t ctime;
    atomic_uint_least64_t atime;
    atomic_uint_least64_t bloom;
    char key[SPLINTER_KEY_MAX];
#ifdef SPLINTER_EMBEDDINGS
    float embedding[SPLINTER_EMBED_DIM];
#endif
};

typedef struct splinter_header_snapshot {
    uint32_t magic;
    uint32_t version;
    uint32_t slots;
    uint32_t max_val_sz;
    uint64_t epoch;
    uint8_t core_flags;
    uint8_t user_flags;
    uint64_t parse_failures;
    uint64_t last_failure_epoch;
} splinter_header_snapshot_t;

typedef struct splinter_slot_snapshot {
    uint64_t hash;
    uint64_t epoch;
    uint32_t val_off;
    uint32_t val_len;
    uint8_t type_flag;
    uint8_t user_flag;
    uint64_t ctime;
    uint64_t atime;
    uint64_t bloom;
    char key[SPLINTER_KEY_MAX];
#ifdef SPLINTER_EMBEDDINGS
    float embedding[SPLINTER_EMBED_DIM];
#endif
} splinter_slot_snapshot_t;

struct splinter_shard_bid_snapshot {
    uint32_t shard_id;
    uint32_t pid;
    uint8_t intent;
    uint8_t priority;
    uint64_t duration_tsc;
    uint64_t claimed_at;
    int expired;
    int sovereign;
};

/* Format v4, measured on the original with offsetof/sizeof (x86-64, C11). */
#ifdef __cplusplus
#define SPL__SA static_assert
#else
#define SPL__SA _Static_assert
#endif
#define SPL__AT(T, f, off) SPL__SA(offsetof(T, f) == (off), #T "." #f " offset")
#define SPL__SZ(T, sz) SPL__SA(sizeof(T) == (sz), #T " size")
SPL__SZ(struct splinter_header, 5440);
SPL__AT(struct splinter_header, magic, 0);
SPL__AT(struct splinter_header, version, 4);
SPL__AT(struct splinter_header, slots, 8);
SPL__AT(struct splinter_header, max_val_sz, 12);
SPL__AT(struct splinter_header, epoch, 16);
SPL__AT(struct splinter_header, core_flags, 24);
SPL__AT(struct splinter_header, user_flags, 25);
SPL__AT(struct splinter_header, val_brk, 28);
SPL__AT(struct splinter_header, val_sz, 32);
SPL__AT(struct splinter_header, alignment, 36);
SPL__AT(struct splinter_header, parse_failures, 40);
SPL__AT(struct splinter_header, last_failure_epoch, 48);
SPL__AT(struct splinter_header, bloom_watches, 56);
SPL__AT(struct splinter_header, signal_groups, 128);
SPL__AT(struct splinter_header, event_bus, 4224);
SPL__AT(struct splinter_header, shard_bids, 4416);
SPL__SA(alignof(struct splinter_header) == 64, "header alignment");
SPL__SZ(struct splinter_signal_node, 64);
SPL__SZ(struct splinter_event_bus, 136);
SPL__AT(struct splinter_event_bus, dirty_mask, 0);
SPL__AT(struct splinter_event_bus, owner_fd, 128);
SPL__AT(struct splinter_event_bus, owner_pid, 132);
SPL__SZ(struct splinter_shard_bid, 32);
SPL__AT(struct splinter_shard_bid, shard_id, 0);
SPL__AT(struct splinter_shard_bid, pid, 4);
SPL__AT(struct splinter_shard_bid, intent, 8);
SPL__AT(struct splinter_shard_bid, priority, 9);
SPL__AT(struct splinter_shard_bid, duration_tsc, 16);
SPL__AT(struct splinter_shard_bid, claimed_at, 24);
#ifdef SPLINTER_EMBEDDINGS
SPL__SZ(struct splinter_slot, 3200);
SPL__AT(struct splinter_slot, embedding, 128);
SPL__SZ(splinter_slot_snapshot_t, 120 + 3072);
SPL__AT(splinter_slot_snapshot_t, embedding, 120);
#else
SPL__SZ(struct splinter_slot, 128);
SPL__SZ(splinter_slot_snapshot_t, 120);
#endif
SPL__SA(alignof(struct splinter_slot) == 64, "slot alignment");
SPL__AT(struct splinter_slot, hash, 0);
SPL__AT(struct splinter_slot, epoch, 8);
SPL__AT(struct splinter_slot, val_off, 16);
SPL__AT(struct splinter_slot, val_len, 20);
SPL__AT(struct splinter_slot, type_flag, 24);
SPL__AT(struct splinter_slot, user_flag, 25);
SPL__AT(struct splinter_slot, watcher_mask, 32);
SPL__AT(struct splinter_slot, ctime, 40);
SPL__AT(struct splinter_slot, atime, 48);
SPL__AT(struct splinter_slot, bloom, 56);
SPL__AT(struct splinter_slot, key, 64);
SPL__SZ(splinter_header_snapshot_t, 48);
SPL__AT(splinter_header_snapshot_t, magic, 0);
SPL__AT(splinter_header_snapshot_t, version, 4);
SPL__AT(splinter_header_snapshot_t, slots, 8);
SPL__AT(splinter_header_snapshot_t, max_val_sz, 12);
SPL__AT(splinter_header_snapshot_t, epoch, 16);
SPL__AT(splinter_header_snapshot_t, core_flags, 24);
SPL__AT(splinter_header_snapshot_t, user_flags, 25);
SPL__AT(splinter_header_snapshot_t, parse_failures, 32);
SPL__AT(splinter_header_snapshot_t, last_failure_epoch, 40);
SPL__AT(splinter_slot_snapshot_t, hash, 0);
SPL__AT(splinter_slot_snapshot_t, epoch, 8);
SPL__AT(splinter_slot_snapshot_t, val_off, 16);
SPL__AT(splinter_slot_snapshot_t, val_len, 20);
SPL__AT(splinter_slot_snapshot_t, type_flag, 24);
SPL__AT(splinter_slot_snapshot_t, user_flag, 25);
SPL__AT(splinter_slot_snapshot_t, ctime, 32);
SPL__AT(splinter_slot_snapshot_t, atime, 40);
SPL__AT(splinter_slot_snapshot_t, bloom, 48);
SPL__AT(splinter_slot_snapshot_t, key, 56);
SPL__SZ(struct splinter_shard_bid_snapshot, 40);
SPL__AT(struct splinter_shard_bid_snapshot, shard_id, 0);
SPL__AT(struct splinter_shard_bid_snapshot, pid, 4);
SPL__AT(struct splinter_shard_bid_snapshot, intent, 8);
SPL__AT(struct splinter_shard_bid_snapshot, priority, 9);
SPL__AT(struct splinter_shard_bid_snapshot, duration_tsc, 16);
SPL__AT(struct splinter_shard_bid_snapshot, claimed_at, 24);
SPL__AT(struct splinter_shard_bid_snapshot, expired, 32);
SPL__AT(struct splinter_shard_bid_snapshot, sovereign, 36);
#undef SPL__AT
#undef SPL__SZ
#undef SPL__SA

#define SPLINTER_HEADER_SIZE ((size_t)sizeof(struct splinter_header))
#define SPLINTER_SLOT_SIZE ((size_t)sizeof(struct splinter_slot))

/* ---- store lifetime ---------------------------------------------------- */
int splinter_create(const char *name_or_path, size_t slots, size_t max_value_sz);
int splinter_open(const char *name_or_path);
int splinter_create_or_open(const char *name_or_path, size_t slots, size_t max_value_sz);
int splinter_open_or_create(const char *name_or_path, size_t slots, size_t max_value_sz);
void splinter_close(void);
/* NUMA build only: opens the store and binds its pages to target_node. */
void *splinter_open_numa(const char *name, int target_node);

/* ---- scrub ("mop") mode: 0 off, 1 hybrid (64-byte rounding), 2 full ---- */
int splinter_set_mop(unsigned int mode);
int splinter_get_mop(void);
void splinter_purge(void);

/* ---- key/value --------------------------------------------------------- */
int splinter_set(const char *key, const void *val, size_t len);
int splinter_unset(const char *key);
int splinter_get(const char *key, void *buf, size_t buf_sz, size_t *out_sz);
int splinter_list(char **out_keys, size_t max_keys, size_t *out_count);
int splinter_poll(const char *key, uint64_t timeout_ms);
int splinter_append(const char *key, const void *data, size_t data_len, size_t *new_len);
const void *splinter_get_raw_ptr(const char *key, size_t *out_sz, uint64_t *out_epoch);
int splinter_set_as_system(const char *key);

/* ---- snapshots and flags ----------------------------------------------- */
int splinter_get_header_snapshot(splinter_header_snapshot_t *snapshot);
int splinter_get_slot_snapshot(const char *key, splinter_slot_snapshot_t *snapshot);
void splinter_config_set(struct splinter_header *hdr, uint8_t mask);
void splinter_config_clear(struct splinter_header *hdr, uint8_t mask);
int splinter_config_test(struct splinter_header *hdr, uint8_t mask);
uint8_t splinter_config_snapshot(struct splinter_header *hdr);
void splinter_slot_usr_set(struct splinter_slot *slot, uint16_t mask);
void splinter_slot_usr_clear(struct splinter_slot *slot, uint16_t mask);
int splinter_slot_usr_test(struct splinter_slot *slot, uint16_t mask);
uint16_t splinter_slot_usr_snapshot(struct splinter_slot *slot);

/* ---- types, times, integers -------------------------------------------- */
int splinter_set_named_type(const char *key, uint16_t mask);
int splinter_set_slot_time(const char *key, unsigned short mode, uint64_t epoch, size_t offset);
int splinter_integer_op(const char *key, splinter_integer_op_t op, const void *mask);

/* ---- epochs -------------------------------------------------------------- */
uint64_t splinter_get_epoch(const char *key);
int splinter_bump_slot(const char *key);
int splinter_retrain_slot(const char *key);

/* ---- labels, watches, signals ------------------------------------------ */
int splinter_set_label(const char *key, uint64_t mask);
int splinter_unset_label(const char *key, uint64_t mask);
int splinter_client_set_tandem(const char *base_key, const void **vals, const size_t *lens, uint8_t orders);
void splinter_client_unset_tandem(const char *base_key, uint8_t orders);
int splinter_watch_register(const char *key, uint8_t group_id);
int splinter_watch_unregister(const char *key, uint8_t group_id);
int splinter_watch_label_register(uint64_t bloom_mask, uint8_t group_id);
void splinter_pulse_watchers(struct splinter_slot *slot);
int splinter_pulse_keygroup(const char *key);
uint64_t splinter_get_signal_count(uint8_t group_id);
void splinter_enumerate_matches(uint64_t mask, void (*callback)(const char *key, uint64_t epoch, void *data),
                                void *user_data);

/* ---- event bus ----------------------------------------------------------- */
int splinter_event_bus_init(void);
int splinter_event_bus_open(void);
int splinter_event_bus_wait(int fd, uint64_t timeout_ms);
void splinter_event_bus_close(int fd);
void splinter_event_bus_get_dirty(uint64_t *out, size_t words);

/* ---- shard election and cooperative madvise ---------------------------- */
int splinter_shard_claim_ex(uint32_t shard_id, uint32_t pid, uint8_t intent, uint8_t priority,
                            uint64_t duration_tsc, uint64_t claimed_at);
int splinter_shard_claim(uint32_t shard_id, uint8_t intent, uint8_t priority, uint64_t duration_tsc);
int splinter_shard_rebid(uint32_t shard_id, uint8_t intent, uint8_t priority, uint64_t duration_tsc);
int splinter_shard_release(uint32_t shard_id);
uint32_t splinter_shard_election(uint8_t *out_intent);
int splinter_shard_is_sovereign(uint32_t shard_id);
int splinter_shard_table_snapshot(struct splinter_shard_bid_snapshot *out, size_t max);
int splinter_madvise(uint32_t shard_id, void *addr, size_t len, int advice, uint64_t timeout_ticks);

/* The bid table's clock: rdtsc on x86, the virtual counter on arm64, the
 * physical counter on 32-bit arm, else CLOCK_MONOTONIC_RAW nanoseconds.
 * Inline, as in the original's header, so a program built against this
 * header needs no splinter_now symbol and also runs against the original.
 * The reference libraries export one as well (for programs built -O0
 * against the original's header, whose C99 inline is then an external call). */
static inline uint64_t splinter_now(void)
{
#if defined(__x86_64__) || defined(__i386__)
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
#elif defined(__aarch64__)
    uint64_t v;
    __asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
    return v;
#elif defined(__arm__)
    uint32_t lo, hi;
    __asm__ __volatile__("mrrc p15, 1, %0, %1, c14" : "=r"(lo), "=r"(hi));
    return ((uint64_t)hi << 32) | lo;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
#endif
}

#ifdef SPLINTER_EMBEDDINGS
int splinter_set_embedding(const char *key, const float *vec);
int splinter_get_embedding(const char *key, float *embedding_out);
#endif

#ifdef __cplusplus
}
#endif
#endif /* SPLINTER_H */
