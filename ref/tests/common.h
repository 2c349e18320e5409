/*
 * common.h - shared fixture for the reference library's Criterion tests.
 *
 * Every test file is compiled twice: against libsplref.so (shm) and with
 * -DT_FILE against libsplref_p.so (persistent files), so one source checks
 * both backends. Store names carry the pid and a sequence number because
 * Criterion runs tests in parallel worker processes.
 *
 * The global splinter_* API is what is under test. A second handle on the
 * same store ("peek", from the handle API) gives the tests raw access to the
 * slot table and value arena, to check bytes the API does not expose.
 */
#ifndef SPLREF_TEST_COMMON_H
#define SPLREF_TEST_COMMON_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "splinter.h"
#include "splref.h"

#ifdef T_FILE
#define T_BACKEND SPLREF_BACKEND_FILE
#else
#define T_BACKEND SPLREF_BACKEND_SHM
#endif

#define T_SLOTS 64
#define T_MAXVAL 256

static char t_store[128];
static splref_store *t_peek;

/* SPLREF_T_RUN (set by ref/tests/run-clean.sh) goes into every name, so a
 * run whose tests crash before their teardown can still be cleaned up. */
static inline void t_name(char *buf, size_t n, const char *tag)
{
    static unsigned seq;
    const char *run = getenv("SPLREF_T_RUN");
#ifdef T_FILE
    snprintf(buf, n, "/tmp/splref-t-%s%s-%d-%u", run ? run : "", tag, (int)getpid(), seq++);
#else
    snprintf(buf, n, "/splref-t-%s%s-%d-%u", run ? run : "", tag, (int)getpid(), seq++);
#endif
}

/* fork() for a test's helper processes: the child dies with its parent, so
 * a Criterion worker killed at its timeout leaves no child spinning on a
 * barrier that will never open. */
static inline pid_t t_fork(void)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0 && (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)) _exit(127);
    return pid;
}

static inline void t_unlink(const char *name)
{
#ifdef T_FILE
    unlink(name);
#else
    shm_unlink(name);
#endif
}

/* Path of the object in the file system (shm objects live in /dev/shm). */
static inline void t_path(char *buf, size_t n, const char *name)
{
#ifdef T_FILE
    snprintf(buf, n, "%s", name);
#else
    snprintf(buf, n, "/dev/shm%s", name);
#endif
}

static inline void t_make(size_t slots, size_t maxval)
{
    t_name(t_store, sizeof t_store, "u");
    t_unlink(t_store);
    cr_assert_eq(splinter_create(t_store, slots, maxval), 0, "create %s: %s", t_store, strerror(errno));
    t_peek = splref_open(T_BACKEND, t_store);
    cr_assert_not_null(t_peek, "peek open: %s", strerror(errno));
}

static inline void t_setup(void) { t_make(T_SLOTS, T_MAXVAL); }

static inline void t_teardown(void)
{
    splinter_close();
    splref_close(t_peek);
    t_peek = NULL;
    t_unlink(t_store);
}

static inline uint64_t t_fnv(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (const char *p = s; *p && p - s < SPLINTER_KEY_MAX - 1; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

/* The slot that holds key in the peek mapping, or NULL. */
static inline struct splinter_slot *t_slot(const char *key)
{
    struct splinter_header *H = splref_header(t_peek);
    struct splinter_slot *S = splref_slots(t_peek);
    uint64_t h = t_fnv(key);
    for (uint32_t i = 0; i < H->slots; i++)
        if (atomic_load(&S[i].hash) == h && strncmp(S[i].key, key, SPLINTER_KEY_MAX - 1) == 0) return &S[i];
    return NULL;
}

static inline long t_slot_index(const char *key)
{
    struct splinter_slot *s = t_slot(key);
    return s ? (long)(s - splref_slots(t_peek)) : -1;
}

static inline uint8_t *t_value_area(const char *key)
{
    struct splinter_slot *s = t_slot(key);
    cr_assert_not_null(s, "no slot for %s", key);
    return splref_values(t_peek) + s->val_off;
}

static inline uint64_t t_global_epoch(void)
{
    splinter_header_snapshot_t h;
    cr_assert_eq(splinter_get_header_snapshot(&h), 0);
    return h.epoch;
}

static inline int t_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d) return -1;
    while (readdir(d)) n++;
    closedir(d);
    return n;
}

static inline void t_set_str(const char *key, const char *val)
{
    cr_assert_eq(splinter_set(key, val, strlen(val)), 0, "set %s: %s", key, strerror(errno));
}

/* Ticks of splinter_now() per millisecond, measured over 20 ms. */
static inline uint64_t t_ticks_per_ms(void)
{
    struct timespec a, b, nap = {0, 20 * 1000000L};
    clock_gettime(CLOCK_MONOTONIC, &a);
    uint64_t t0 = splinter_now();
    nanosleep(&nap, NULL);
    uint64_t t1 = splinter_now();
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    uint64_t r = (uint64_t)((double)(t1 - t0) / ms);
    return r ? r : 1;
}

static inline double t_ms_since(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

#endif
