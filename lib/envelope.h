/*
 * envelope.h - the run identity every --json output of the suite carries.
 *
 * A command's document is {"schema": "splsuite-CMD/N", "run": {...}, body}:
 * "run" says which suite build (version, git commit), when (ISO 8601 UTC),
 * which command line, on which machine (kernel release and command line,
 * CPU, cores, NUMA nodes, memory, filesystem of each store directory) and
 * with which implementation files (path, size, SHA-256, ELF build-id) the
 * body was produced, so results can be compared across runs, machines and
 * kernels and kept in a results store (splsuite db). docs/envelope.md
 * describes every field; docs/schema/splsuite.schema.json validates them.
 *
 * Use: init at the start of the command (the date is the run's start), add
 * every implementation and store directory used, wrap the body on output.
 *
 *   struct spl_envelope env;
 *   spl_envelope_init(&env, "splsuite-fsck/1");
 *   spl_envelope_add_store_dir(&env, path_of_store);
 *   json_object *doc = spl_envelope_wrap(&env, body);   // body is consumed
 */
#ifndef SPLSUITE_ENVELOPE_H
#define SPLSUITE_ENVELOPE_H

#include <json-c/json.h>
#include <stdbool.h>

struct spl_impl;

#define SPL_ENV_MAX_IMPLS 8
#define SPL_ENV_MAX_DIRS 4

struct spl_envelope {
    char schema[64];
    char run_id[40];   /* UUID (random, version 4) */
    char date[32];     /* start of the run, "2026-11-25T10:00:00.123Z" */
    int nimpls;
    struct spl_env_impl {
        char label[64], spec[256], path[4096], backend[8];
    } impl[SPL_ENV_MAX_IMPLS];
    int ndirs;
    char dirs[SPL_ENV_MAX_DIRS][1024];
};

void spl_envelope_init(struct spl_envelope *e, const char *schema);
/* An implementation file the run used; backend "shm", "file" or NULL. Its
 * file is hashed when the envelope is rendered. -1 when full. */
int spl_envelope_add_impl(struct spl_envelope *e, const char *label, const char *spec, const char *path,
                          const char *backend);
/* Same, from a loaded struct spl_impl (label, spec, path, backend), and the
 * directory its stores go to (/dev/shm, or $TMPDIR for a file backend). */
int spl_envelope_add_spl_impl(struct spl_envelope *e, const struct spl_impl *im);
/* A directory (or a file: its directory) where the run kept stores. */
void spl_envelope_add_store_dir(struct spl_envelope *e, const char *dir);

/* The "run" object alone (new reference). */
json_object *spl_envelope_run_json(const struct spl_envelope *e);
/* {"schema", "run", then every key of body}; body is consumed. */
json_object *spl_envelope_wrap(const struct spl_envelope *e, json_object *body);

/* The suite's own identity, for `splsuite --version` and reports. */
const char *spl_suite_commit(void);   /* 40 hex digits, or "unknown" */
bool spl_suite_dirty(void);           /* built from a tree with uncommitted changes */

/* Reading side (compare, db): the schema string of a document ("" if none)
 * and its "run" object (NULL for a document without an envelope). */
const char *spl_envelope_schema_of(json_object *doc);
json_object *spl_envelope_run_of(json_object *doc);

#endif
