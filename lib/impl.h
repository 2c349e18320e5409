/*
 * impl.h - loading an implementation of the Splinter ABI under test.
 *
 * Every part of the suite (conform, torture, bench, trace) works through a
 * struct spl_impl. The orchestrator only resolves the path and learns the
 * library's facts from a probe child (which splinter_* symbols exist, so a
 * rule that needs a missing function is skipped with that reason; backend;
 * tick rate; slot size); the children that run the implementation (rule
 * children, workers) dlopen it themselves, after the fork, with RTLD_LOCAL.
 * A crash, hang or abort of the implementation therefore ends a child, never
 * the suite.
 *
 * Specs accepted by spl_impl_load():
 *   ref            built-in reference, shm backend (libsplref.so)
 *   ref-file       built-in reference, persistent-file backend (libsplref_p.so)
 *   mut:NAME       the reference with fault NAME (shm); mut-file:NAME (file)
 *   PATH           any shared object exporting the splinter_* ABI
 */
#ifndef SPLSUITE_IMPL_H
#define SPLSUITE_IMPL_H

#include "splinter.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum spl_backend { SPL_BACKEND_UNKNOWN = 0, SPL_BACKEND_SHM, SPL_BACKEND_FILE };

/* X(ret, name, args): the whole ABI of format v4 plus the reference's extensions. */
#define SPL_IMPL_FUNCS(X)                                                                              \
    X(int, create, (const char *, size_t, size_t))                                                     \
    X(int, open, (const char *))                                                                       \
    X(int, create_or_open, (const char *, size_t, size_t))                                             \
    X(int, open_or_create, (const char *, size_t, size_t))                                             \
    X(void, close, (void))                                                                             \
    X(void *, open_numa, (const char *, int))                                                          \
    X(int, set_mop, (unsigned int))                                                                    \
    X(int, get_mop, (void))                                                                            \
    X(void, purge, (void))                                                                             \
    X(int, set, (const char *, const void *, size_t))                                                  \
    X(int, unset, (const char *))                                                                      \
    X(int, get, (const char *, void *, size_t, size_t *))                                              \
    X(int, list, (char **, size_t, size_t *))                                                          \
    X(int, poll, (const char *, uint64_t))                                                             \
    X(int, get_header_snapshot, (splinter_header_snapshot_t *))                                        \
    X(int, get_slot_snapshot, (const char *, splinter_slot_snapshot_t *))                              \
    X(void, config_set, (struct splinter_header *, uint8_t))                                           \
    X(void, config_clear, (struct splinter_header *, uint8_t))                                         \
    X(int, config_test, (struct splinter_header *, uint8_t))                                           \
    X(uint8_t, config_snapshot, (struct splinter_header *))                                            \
    X(void, slot_usr_set, (struct splinter_slot *, uint16_t))                                          \
    X(void, slot_usr_clear, (struct splinter_slot *, uint16_t))                                        \
    X(int, slot_usr_test, (struct splinter_slot *, uint16_t))                                          \
    X(uint16_t, slot_usr_snapshot, (struct splinter_slot *))                                           \
    X(int, set_named_type, (const char *, uint16_t))                                                   \
    X(int, set_slot_time, (const char *, unsigned short, uint64_t, size_t))                            \
    X(int, integer_op, (const char *, splinter_integer_op_t, const void *))                            \
    X(const void *, get_raw_ptr, (const char *, size_t *, uint64_t *))                                 \
    X(uint64_t, get_epoch, (const char *))                                                             \
    X(int, bump_slot, (const char *))                                                                  \
    X(int, retrain_slot, (const char *))                                                               \
    X(int, set_label, (const char *, uint64_t))                                                        \
    X(int, unset_label, (const char *, uint64_t))                                                      \
    X(int, client_set_tandem, (const char *, const void **, const size_t *, uint8_t))                  \
    X(void, client_unset_tandem, (const char *, uint8_t))                                              \
    X(int, watch_register, (const char *, uint8_t))                                                    \
    X(int, watch_unregister, (const char *, uint8_t))                                                  \
    X(int, watch_label_register, (uint64_t, uint8_t))                                                  \
    X(void, pulse_watchers, (struct splinter_slot *))                                                  \
    X(int, pulse_keygroup, (const char *))                                                             \
    X(uint64_t, get_signal_count, (uint8_t))                                                           \
    X(void, enumerate_matches, (uint64_t, void (*)(const char *, uint64_t, void *), void *))           \
    X(int, event_bus_init, (void))                                                                     \
    X(int, event_bus_open, (void))                                                                     \
    X(int, event_bus_wait, (int, uint64_t))                                                            \
    X(void, event_bus_close, (int))                                                                    \
    X(void, event_bus_get_dirty, (uint64_t *, size_t))                                                 \
    X(int, set_as_system, (const char *))                                                              \
    X(int, append, (const char *, const void *, size_t, size_t *))                                     \
    X(int, shard_claim_ex, (uint32_t, uint32_t, uint8_t, uint8_t, uint64_t, uint64_t))                 \
    X(int, shard_claim, (uint32_t, uint8_t, uint8_t, uint64_t))                                        \
    X(int, shard_rebid, (uint32_t, uint8_t, uint8_t, uint64_t))                                        \
    X(int, shard_release, (uint32_t))                                                                  \
    X(uint32_t, shard_election, (uint8_t *))                                                           \
    X(int, shard_is_sovereign, (uint32_t))                                                             \
    X(int, shard_table_snapshot, (struct splinter_shard_bid_snapshot *, size_t))                       \
    X(int, madvise, (uint32_t, void *, size_t, int, uint64_t))                                         \
    X(uint64_t, now, (void))                                                                           \
    X(int, set_embedding, (const char *, const float *))                                               \
    X(int, get_embedding, (const char *, float *))                                                     \
    X(int, flush, (int))                                                                               \
    X(const char *, ref_version, (void))

struct spl_impl {
    void *dl;        /* NULL in the orchestrator: only children attach */
    char spec[256];  /* as given */
    char path[4096]; /* resolved shared object */
    char label[64];  /* short name for reports: "ref", "mut:torn_write", basename */
    enum spl_backend backend;
    char version[128];   /* splinter_ref_version(), "" when not exported */
    uint64_t tps;        /* splinter_now() ticks per second (the cycle counter's when absent) */
    size_t slot_size;    /* bytes per slot in its stores (128; 3200 in an embeddings build) */
    double probe_secs;   /* how long the probe child took */
    pid_t loader;        /* the process that loaded it: it never attaches */
    bool at_fault;       /* spl_impl_load failed because of the implementation itself */
    /* Function pointers. In the orchestrator a function the library exports
     * holds a guard that aborts with an internal error (so `if (im->madvise)`
     * tells what exists), a missing one NULL; spl_impl_attach() makes them
     * real in a child. */
#define SPL_IMPL_PTR(ret, name, args) ret(*name) args;
    SPL_IMPL_FUNCS(SPL_IMPL_PTR)
#undef SPL_IMPL_PTR
};

/* Resolves spec and probes the library in a forked child with a deadline
 * (which symbols exist, backend, tick rate, slot size): the implementation's
 * code, constructors included, never runs in the calling process, and a
 * probe that crashes, hangs or fills the disk becomes a message. Returns 0,
 * or -1 with the reason in err and out->at_fault saying whose fault it is:
 *   false  bad spec, no such file, not a shared object, not the ABI, or the
 *          store directory is unusable (full, read-only, no permission):
 *          nothing wrong with the implementation itself
 *   true   the implementation crashed, hung or failed in the probe ("the
 *          implementation crashed in splinter_create during the probe: SIGSEGV") */
int spl_impl_load(const char *spec, struct spl_impl *out, char *err, size_t errlen);
/* Forgets im (nothing was mapped in this process). */
void spl_impl_unload(struct spl_impl *im);

/* In a child process: dlopen im's library here and fill the function
 * pointers. Idempotent; 0, or -1 with the reason in err. Aborts when called
 * in the process that loaded im: the implementation never runs there. */
int spl_impl_attach(struct spl_impl *im, char *err, size_t errlen);
/* spl_impl_attach() for every implementation this process (or an ancestor)
 * loaded and has not unloaded, in place. For children whose code reaches
 * the implementations through pointers into the loader's structs (bench);
 * a struct copied after loading must be attached explicitly. */
int spl_impl_attach_loaded(char *err, size_t errlen);
/* For a standalone measuring program whose own process is the worker
 * (ci/perf/hotpaths under callgrind): resolve, dlopen and resolve here, no
 * probe child. Orchestrators use spl_impl_load. */
int spl_impl_load_here(const char *spec, struct spl_impl *out, char *err, size_t errlen);

/* Name of a symbol missing from im among the NULL-terminated list, or NULL. */
const char *spl_impl_missing(const struct spl_impl *im, const char *const *names);
bool spl_impl_has(const struct spl_impl *im, const char *name); /* "set", "madvise", ... */

/* Resolves "ref"/"mut:x" to a library path, or copies a path through. */
int spl_impl_resolve(const char *spec, char *path, size_t len, char *err, size_t errlen);
/* Directory of the built reference libraries (build tree or install). */
const char *spl_impl_libdir(void);

/* Where file-backed stores go: --store-dir when set, else $TMPDIR, else /tmp. */
const char *spl_store_dir(void);
void spl_set_store_dir(const char *dir);
/* First part of every store name the suite makes: $SPLSUITE_STORE_PREFIX, or
 * "splsuite". Tests set a unique one and check that nothing is left behind. */
const char *spl_store_prefix(void);
/* Why dir cannot hold stores (missing, not a directory, read-only, no
 * permission, full), or NULL when it can. need: bytes a store needs. */
const char *spl_store_dir_problem(const char *dir, uint64_t need, char *buf, size_t len);

/* spl_store_dir_problem() of the directory im's stores live in (the store
 * directory, or /dev/shm for a shm backend). For a child that died of
 * SIGBUS or a create that failed: the environment's fault, not im's. */
const char *spl_impl_env_problem(const struct spl_impl *im, uint64_t need, char *buf, size_t len);

/* A store name for im's backend, unique to this process and tag:
 * shm "/PREFIX-TAG-PID", file "STOREDIR/PREFIX-TAG-PID.spl" (PREFIX: splsuite). */
void spl_impl_store_name(const struct spl_impl *im, const char *tag, char *buf, size_t len);
void spl_impl_store_remove(const struct spl_impl *im, const char *name);
/* Path of a store in the filesystem (for fsck, FMT checks): "/dev/shm/x" for shm. */
void spl_impl_store_path(const struct spl_impl *im, const char *name, char *buf, size_t len);

/* The bid table's clock as the original's header defines splinter_now()
 * (splinter.h's inline: rdtsc on x86, cntvct_el0 on arm64, ...), and
 * im's own splinter_now when it exports one: the original has it inline, so
 * a library may not. The one place that fallback lives. spl_impl_now calls
 * into im: attached processes only. */
uint64_t spl_ticks(void);
uint64_t spl_impl_now(const struct spl_impl *im);

/* splinter_flush strategies by name (the list ref publishes in splref.h):
 * the number splinter_flush takes, or -1; the name of a number, or NULL.
 * spl_flush_nstrategies is how many there are (0 .. n-1). */
int spl_flush_strategy_parse(const char *name);
const char *spl_flush_strategy_name(int strategy);
extern const int spl_flush_nstrategies;

/* The mutants built with the reference: name, id, catcher rule, description. */
struct spl_mutant { int id; const char *name, *catcher, *what; };
extern const struct spl_mutant spl_mutants[];
extern const size_t spl_nmutants;

#endif
