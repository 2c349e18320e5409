/*
 * results_db.h - what other commands call to keep their run in the results
 * store (splsuite bench --db URL). Declared weak by callers outside
 * results/ so they still link when the results part is left out.
 */
#ifndef SPLSUITE_RESULTS_DB_HOOK_H
#define SPLSUITE_RESULTS_DB_HOOK_H

#include <json-c/json.h>
#include <stddef.h>

/* Stores doc (a results document with its envelope) in the store at url.
 * 0 with a one-line summary in msg, or -1 with the reason. */
int results_db_store(json_object *doc, const char *url, char *msg, size_t msglen);

#endif
