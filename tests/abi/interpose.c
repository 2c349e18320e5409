/*
 * interpose.c - a client that happens to define functions named like the
 * library's internals and its handle API must not change what the library
 * does. Built with -rdynamic, so these definitions are in the executable's
 * dynamic symbol table and would win any lookup through the PLT.
 *
 * Before the reference bound its internal calls locally (hidden helpers,
 * -Bsymbolic-functions), splinter_get called splref_get and spl_find through
 * the PLT, so every get of such a client ran the client's function.
 *
 * usage: interpose shm|file    exit 0 ok, 1 the library called ours
 */
#include "splinter.h"
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int g_called; /* how often the library ran one of the functions below */

/* Names the reference used (or uses) internally, and its handle API. The
 * signatures are the client's own business: only the names collide. */
long spl_find(void *st, const char *key, unsigned long h);
long spl_find(void *st, const char *key, unsigned long h) { (void)st, (void)key, (void)h; g_called++; return -1; }
long sr_find(void *st, const char *key, unsigned long h);
long sr_find(void *st, const char *key, unsigned long h) { (void)st, (void)key, (void)h; g_called++; return -1; }
void spl_bus_notify(void *st, size_t idx);
void spl_bus_notify(void *st, size_t idx) { (void)st, (void)idx; g_called++; }
void spl_mark_dirty(void *st, size_t idx);
void spl_mark_dirty(void *st, size_t idx) { (void)st, (void)idx; g_called++; }
unsigned long spl_now(void);
unsigned long spl_now(void) { g_called++; return 0; }
int splref_get(void *st, const char *key, void *buf, size_t n, size_t *out);
int splref_get(void *st, const char *key, void *buf, size_t n, size_t *out)
{
    (void)st, (void)key, (void)buf, (void)n, (void)out;
    g_called++;
    return -7;
}
int splref_set(void *st, const char *key, const void *v, size_t n);
int splref_set(void *st, const char *key, const void *v, size_t n) { (void)st, (void)key, (void)v, (void)n; g_called++; return -7; }
void *splref_open(int be, const char *name);
void *splref_open(int be, const char *name) { (void)be, (void)name; g_called++; return NULL; }
void splref_close(void *st);
void splref_close(void *st) { (void)st; g_called++; }


int main(int argc, char **argv)
{
    int file = argc > 1 && strcmp(argv[1], "file") == 0;
    char name[128];
    if (file) snprintf(name, sizeof name, "%s/splsuite-interpose-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    else snprintf(name, sizeof name, "/splsuite-interpose-%d", (int)getpid());
    CHECK(splinter_create(name, 64, 128) == 0);
    CHECK(splinter_set("k", "value", 5) == 0);
    char buf[16] = {0};
    size_t n = 0;
    CHECK(splinter_get("k", buf, sizeof buf, &n) == 0);
    CHECK(n == 5 && memcmp(buf, "value", 5) == 0);
    CHECK(splinter_get("missing", buf, sizeof buf, &n) == -1);
    CHECK(splinter_append("k", "++", 2, &n) == 0 && n == 7);
    CHECK(splinter_unset("k") == 7);
    CHECK(splinter_shard_claim(5, SPL_INTENT_WILLNEED, 1, 1000000000ull) == 0);
    CHECK(splinter_shard_election(NULL) == 5);
    splinter_close();
    CHECK(splinter_open(name) == 0);
    splinter_close();
    if (file) unlink(name);
    else shm_unlink(name);
    CHECK(g_called == 0);
    if (g_called) fprintf(stderr, "the library called the client's functions %d times\n", g_called);
    printf("%s: %d check(s) failed\n", fails ? "FAIL" : "ok", fails);
    return fails ? 1 : 0;
}
