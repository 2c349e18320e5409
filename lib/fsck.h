/*
 * fsck.h - an independent checker of a Splinter store's bytes (format v4).
 *
 * Nothing here calls an implementation: the checker reads the region as
 * format-v4.md lays it out, so it can judge the output of any library,
 * including one that is broken. It is shared by `splsuite fsck`, the
 * torture's checkpoints, the conformance FMT rules and the CI fuzzers.
 *
 * Safety contract (what the libFuzzer target relies on):
 *   spl_fsck_image() accepts ANY (buf, len), including len 0, a buffer shorter
 *   than a header, and geometry fields that lie or overflow. It reads only
 *   bytes inside [buf, buf + len), never writes to buf, never aborts, and its
 *   running time is O(len log len). Each field is read once into a local
 *   before it is trusted, so a store being written concurrently by other
 *   processes (a live shm map) may produce odd findings but never an
 *   out-of-bounds read. buf needs no particular alignment. It allocates
 *   memory proportional to the slot count; on allocation failure it
 *   returns -1 with errno ENOMEM and out->nfindings may be incomplete.
 *
 * Typical use:
 *   struct spl_fsck_opts o = SPL_FSCK_OPTS_INIT;
 *   struct spl_fsck_result r;
 *   int rc = spl_fsck_image(buf, len, &o, &r);   // 0 clean, 1 damaged, -1 ENOMEM
 *   for (size_t i = 0; i < r.nfindings; i++) ... r.findings[i] ...
 *   spl_fsck_result_free(&r);
 */
#ifndef SPLSUITE_FSCK_H
#define SPLSUITE_FSCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

enum spl_fsck_severity { SPL_FSCK_WARNING = 1, SPL_FSCK_ERROR = 2 };

/* X(code, stable name, default severity, what it means). Names are part of
 * the CLI/JSON interface: tests and CI grep for them. */
#define SPL_FSCK_CODES(X)                                                                                 \
    X(TRUNCATED, "truncated", ERROR, "image shorter than the header or than its geometry says")          \
    X(BAD_MAGIC, "bad-magic", ERROR, "first 4 bytes are not SPLINTER_MAGIC")                              \
    X(BAD_VERSION, "bad-version", ERROR, "format version is not 4")                                       \
    X(BAD_GEOMETRY, "bad-geometry", ERROR, "slots or max_val_sz zero, or their size overflows")          \
    X(TRAILING_BYTES, "trailing-bytes", WARNING, "image longer than header + slots + values")            \
    X(VAL_SZ_MISMATCH, "val-sz-mismatch", WARNING, "header.val_sz is not the region size (mod 2^32)")    \
    X(GLOBAL_EPOCH_ZERO, "global-epoch-zero", WARNING, "global epoch 0: a fresh store starts at 1")      \
    X(RESERVED_FLAGS, "reserved-flags", WARNING, "reserved core_flags bits 2-3 set")                     \
    X(VAL_BRK_RANGE, "val-brk-range", ERROR, "val_brk beyond the value arena")                           \
    X(BLOOM_WATCH_RANGE, "bloom-watch-range", ERROR, "bloom_watches maps a label to a group >= 64")      \
    X(BUS_FIELDS, "bus-fields", ERROR, "event bus owner_fd < -1 or owner_pid < 0")                       \
    X(BUS_OWNER_STALE, "bus-owner-stale", WARNING, "event bus owner fd/pid inconsistent or owner dead")  \
    X(BUS_DIRTY_RANGE, "bus-dirty-range", WARNING, "dirty_mask bit set for a slot index >= slots")       \
    X(BID_INTENT, "bid-intent", ERROR, "shard bid intent beyond DONTNEED (4)")                           \
    X(BID_RESIDUE, "bid-residue", WARNING, "empty bid record (shard_id 0) with non-zero fields")         \
    X(BID_NO_PID, "bid-no-pid", WARNING, "claimed bid with pid 0")                                       \
    X(BID_OWNER_DEAD, "bid-owner-dead", WARNING, "claimed bid whose pid is not running (live check)")     \
    X(BID_DUPLICATE, "bid-duplicate", WARNING, "two bid records claim the same shard id")                \
    X(KEY_UNTERMINATED, "key-unterminated", ERROR, "slot key has no NUL within 64 bytes")               \
    X(HASH_MISMATCH, "hash-mismatch", ERROR, "slot hash is not FNV-1a 64 of its key")                    \
    X(VAL_LEN_RANGE, "val-len-range", ERROR, "val_len larger than max_val_sz")                           \
    X(VAL_OUT_OF_ARENA, "val-out-of-arena", ERROR, "val_off + val_len outside the value arena")          \
    X(VAL_OFF_FOREIGN, "val-off-foreign", WARNING, "val_off is not the slot's own area (BIGUINT promotion)") \
    X(VALUE_OVERLAP, "value-overlap", ERROR, "two live values share bytes")                              \
    X(EPOCH_ODD, "epoch-odd", WARNING, "odd slot epoch: a write in progress, or stuck (--stuck)")        \
    X(DUP_KEY, "duplicate-key", ERROR, "the same key is live in two slots")                              \
    X(UNREACHABLE_KEY, "unreachable-key", ERROR, "a never-used slot breaks the probe chain before the key") \
    X(VIRGIN_DIRTY, "virgin-dirty", WARNING, "never-used slot (hash 0, epoch 0) with non-zero fields")   \
    X(TOMBSTONE_DIRTY, "tombstone-dirty", WARNING, "deleted slot still has a key or val_len")            \
    X(ORPHAN_VALUE, "orphan-value", WARNING, "non-zero value bytes that no live slot owns")              \
    X(BIGUINT_LEN, "biguint-len", WARNING, "BIGUINT slot whose val_len is not 8")

enum spl_fsck_code {
#define SPL_FSCK_ENUM(c, name, sev, what) SPL_FSCK_##c,
    SPL_FSCK_CODES(SPL_FSCK_ENUM)
#undef SPL_FSCK_ENUM
        SPL_FSCK__NCODES
};

struct spl_fsck_finding {
    enum spl_fsck_code code;
    enum spl_fsck_severity severity;
    long slot; /* slot index, bid record index for BID_*, -1 for header-wide findings */
    char msg[160];
};

struct spl_fsck_opts {
    bool stuck;        /* offline check: nobody may be writing, so an odd epoch is an ERROR */
    bool check_pids;   /* kill(pid, 0) on bus owner and bid pids (live stores on this host) */
    bool scan_values;  /* look for orphaned value bytes (reads the whole arena) */
    size_t max_findings; /* findings stored in out->findings; the rest only counted (0 = 1000) */
};
#define SPL_FSCK_OPTS_INIT {.stuck = false, .check_pids = false, .scan_values = true, .max_findings = 0}

struct spl_fsck_result {
    /* geometry as read (valid when header_ok) */
    bool header_ok;      /* magic, version and geometry usable: slots were checked */
    uint32_t slots, max_val_sz;
    size_t slot_size;    /* 128, or 3200 for an embeddings-build store */
    uint64_t expected_size, image_size;
    uint64_t global_epoch;
    /* census */
    uint64_t live, tombstones, virgin, odd, bids_claimed;
    /* verdict */
    uint64_t errors, warnings;
    uint64_t by_code[SPL_FSCK__NCODES];
    struct spl_fsck_finding *findings; /* malloc'd, nfindings entries */
    size_t nfindings, dropped;
};

/* Checks the image. 0 when no ERROR finding, 1 when damaged, -1 (errno
 * ENOMEM) when the checker itself ran out of memory. Always initialises out;
 * free it with spl_fsck_result_free(). opts may be NULL (defaults). */
int spl_fsck_image(const void *buf, size_t len, const struct spl_fsck_opts *opts, struct spl_fsck_result *out);
void spl_fsck_result_free(struct spl_fsck_result *r);

const char *spl_fsck_code_name(enum spl_fsck_code c); /* "hash-mismatch" */
const char *spl_fsck_code_what(enum spl_fsck_code c);
/* Code for a stable name, or -1. */
int spl_fsck_code_parse(const char *name);
const char *spl_fsck_severity_name(enum spl_fsck_severity s); /* "error" / "warning" */

/* {"store":..., "geometry":{...}, "census":{...}, "errors":n, "warnings":n,
 *  "by_code":{name:n}, "findings":[{code,severity,slot,message}], "dropped":n, "verdict":"clean"|"damaged"} */
struct json_object *spl_fsck_result_json(const struct spl_fsck_result *r, const char *store);

/* ---- mapping a store ---------------------------------------------------- */

struct spl_store_map {
    void *base;
    size_t len;
    int fd;
    bool writable;
    char path[4096]; /* /dev/shm/NAME for a shm store */
};

/* Maps a store by shm name ("/name" or "name" found in /dev/shm) or by file
 * path, MAP_SHARED, read-only unless writable. A path that exists wins over a
 * shm name. 0, or -1 with errno and a message in err. Refuses non-regular files and
 * empty ones (an empty image is reported as such by the caller instead). */
int spl_store_map(const char *store, bool writable, struct spl_store_map *m, char *err, size_t errlen);
void spl_store_unmap(struct spl_store_map *m);

/* ---- repair ------------------------------------------------------------- */

enum spl_fsck_fix {
    SPL_FSCK_FIX_STUCK = 1u << 0,  /* odd slot epochs: +1 (released as an aborted write) */
    SPL_FSCK_FIX_SLOTS = 1u << 1,  /* corrupt or duplicate slots become tombstones */
    SPL_FSCK_FIX_BUS = 1u << 2,    /* stale/invalid bus owner: fd -1, pid 0; out-of-range dirty bits */
    SPL_FSCK_FIX_BIDS = 1u << 3,   /* bid records with a bad intent, dead owner or residue: emptied */
    SPL_FSCK_FIX_ALL = 0xFu,
};

/* Applies fixes for the findings in r to a WRITABLE image (the one r was
 * computed from; re-run spl_fsck_image afterwards). Each change is made
 * with atomics the way a writer would (slot changes under the seqlock), so
 * it is safe against well-behaved concurrent users when buf is 64-byte
 * aligned (any map is); another buffer is fixed through an aligned copy
 * that is copied back. Writes stay
 * inside [buf, buf + len). Describes each change via log(msg, arg) when log
 * is non-NULL. Returns the number of changes. */
size_t spl_fsck_repair(void *buf, size_t len, const struct spl_fsck_result *r, unsigned fixes,
                       void (*log)(const char *msg, void *arg), void *arg);


#endif
