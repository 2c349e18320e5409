/*
 * test_proclayer - the one process layer (lib/proc.h, lib/spawn.c) under the
 * failures it exists for: a child that hangs is killed at the deadline with
 * everything it forked, an interrupt ends a wait at once, a worker that dies
 * before the start line does not hold the others, and a spawned program's
 * exit, crash, absence and hang each come back as what they are.
 */
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int fails;
#define EXPECT(cond, ...)                                                                                              \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                       \
            fprintf(stderr, __VA_ARGS__);                                                                              \
            fputc('\n', stderr);                                                                                       \
            fails++;                                                                                                   \
        }                                                                                                              \
    } while (0)

static int exit7(void *arg) { (void)arg; return 7; }
static int hang(void *arg)
{
    (void)arg;
    for (;;) pause();
    return 0;
}

/* Forks a grandchild that hangs and records its pid, then hangs itself. */
static int hang_with_child(void *arg)
{
    pid_t *g = arg;
    pid_t p = fork(); /* a plain fork: it stays in our group, as a rule's workers do */
    if (p == 0) for (;;) pause();
    *g = p;
    for (;;) pause();
    return 0;
}

/* Gone, or a zombie waiting for init: either way no longer running. */
static bool dead(pid_t p)
{
    for (int i = 0; i < 200; i++) {
        char path[64], st[256];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)p);
        FILE *f = fopen(path, "r");
        if (!f) return true;
        size_t n = fread(st, 1, sizeof st - 1, f);
        fclose(f);
        st[n] = 0;
        char *rp = strrchr(st, ')');
        if (rp && (rp[2] == 'Z' || rp[2] == 'X')) return true;
        spl_sleep_ns(10000000);
    }
    return false;
}

static void test_fork_and_reap(void)
{
    pid_t p = spl_proc_run(exit7, NULL, SPL_PROC_WORKER);
    struct spl_proc_end e;
    EXPECT(spl_proc_reap(&p, 1, spl_time_ns() + 5000000000ull, &e) == 1, "a child that exits ends on its own");
    EXPECT(e.exited && e.code == 7 && !e.killed, "exit 7 reported as exited %d code %d killed %d", e.exited, e.code, e.killed);

    /* a hang is killed at the deadline, and so is what it forked (its group) */
    pid_t *g = spl_shared_alloc(sizeof *g);
    p = spl_proc_run(hang_with_child, g, SPL_PROC_WORKER);
    while (!*g) spl_sleep_ns(1000000);
    uint64_t t0 = spl_time_ns();
    EXPECT(spl_proc_reap(&p, 1, t0 + 200000000ull, &e) == 0, "a hang does not end on its own");
    double secs = (double)(spl_time_ns() - t0) / 1e9;
    EXPECT(e.killed && e.signal == SIGKILL && !e.interrupted, "hang: killed %d signal %d", e.killed, e.signal);
    EXPECT(secs < 2.0, "the deadline was 0.2 s, the wait took %.2f s", secs);
    EXPECT(dead(*g), "the hung child's own child (pid %d) survived the group kill", (int)*g);
    char why[128];
    spl_proc_describe(&e, secs, why, sizeof why);
    EXPECT(strstr(why, "hung (killed after"), "described as '%s'", why);
    spl_shared_free(g, sizeof *g);

    /* many at once: one deadline for all, the ones that finished are not touched */
    pid_t ps[3] = {spl_proc_run(exit7, NULL, SPL_PROC_WORKER), spl_proc_run(hang, NULL, SPL_PROC_WORKER), 0};
    struct spl_proc_end es[3];
    EXPECT(spl_proc_reap(ps, 3, spl_time_ns() + 300000000ull, es) == 1, "one of two ends on its own");
    EXPECT(es[0].code == 7 && !es[0].killed && es[1].killed && es[2].pid == 0, "mixed ends misreported");
}

/* In a process of its own (the flag stays set): SIGINT ends a long wait at once. */
static void test_interrupt(void)
{
    pid_t t = fork();
    if (t == 0) {
        spl_interrupt_catch();
        pid_t p = spl_proc_run(hang, NULL, SPL_PROC_WORKER);
        pid_t me = getpid();
        if (fork() == 0) {
            spl_sleep_ns(100000000);
            kill(me, SIGINT);
            _exit(0);
        }
        struct spl_proc_end e;
        uint64_t t0 = spl_time_ns();
        spl_proc_reap(&p, 1, t0 + 30000000000ull, &e);
        double secs = (double)(spl_time_ns() - t0) / 1e9;
        int bad = 0;
        if (!e.killed || !e.interrupted) bad |= 1;
        if (secs > 5) bad |= 2;
        if (spl_interrupted() != SIGINT || spl_interrupt_status() != 130) bad |= 4;
        if (spl_nap(1000000000ull)) bad |= 8; /* a nap after the interrupt returns at once, false */
        while (wait(NULL) > 0) {}
        _exit(bad);
    }
    int st;
    waitpid(t, &st, 0);
    EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0, "interrupt test: status %d (1 not interrupted, 2 slow, 4 flag, 8 nap)",
           WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

struct line_test {
    struct spl_startline line;
    _Atomic int before_go;
    _Atomic int ran;
};

static int line_worker(void *arg)
{
    struct line_test *lt = arg;
    if (!spl_startline_arrive(&lt->line, false)) return 3;
    atomic_fetch_add(&lt->ran, 1);
    while (!spl_startline_stopping(&lt->line)) spl_sleep_ns(1000000);
    return 0;
}

static int die_early(void *arg) { (void)arg; return 9; }

static void test_startline(void)
{
    struct line_test *lt = spl_shared_alloc(sizeof *lt);
    spl_startline_init(&lt->line, 4);
    pid_t ps[4];
    for (int i = 0; i < 4; i++) ps[i] = spl_proc_run(line_worker, lt, SPL_PROC_WORKER);
    EXPECT(spl_startline_wait(&lt->line, ps, 4, spl_time_ns() + 10000000000ull) == 4, "all four reach the line");
    spl_sleep_ns(20000000);
    EXPECT(atomic_load(&lt->ran) == 0, "%d workers ran before go", atomic_load(&lt->ran));
    spl_startline_go(&lt->line);
    while (atomic_load(&lt->ran) < 4) spl_sleep_ns(1000000);
    spl_startline_stop(&lt->line);
    struct spl_proc_end es[4];
    EXPECT(spl_proc_reap(ps, 4, spl_time_ns() + 5000000000ull, es) == 4, "stopped workers end on their own");
    for (int i = 0; i < 4; i++) EXPECT(es[i].exited && es[i].code == 0, "worker %d ended %d", i, es[i].code);

    /* a worker that dies before the line: the driver stops waiting for it */
    spl_startline_init(&lt->line, 2);
    ps[0] = spl_proc_run(line_worker, lt, SPL_PROC_WORKER);
    ps[1] = spl_proc_run(die_early, lt, SPL_PROC_WORKER);
    uint64_t t0 = spl_time_ns();
    uint32_t at = spl_startline_wait(&lt->line, ps, 2, t0 + 20000000000ull);
    EXPECT((double)(spl_time_ns() - t0) / 1e9 < 5, "the driver waited for a dead worker");
    EXPECT(at <= 1, "%u at the line, one is dead", at);
    spl_startline_stop(&lt->line); /* releases the one waiting for go, without running */
    EXPECT(spl_proc_reap(ps, 2, spl_time_ns() + 5000000000ull, es) == 2, "both end");
    EXPECT(es[0].code == 3 && es[1].code == 9, "released worker %d, early death %d", es[0].code, es[1].code);
    spl_shared_free(lt, sizeof *lt);
}

static void test_spawn(void)
{
    char err[512], buf[256];
    char *ok[] = {"true", NULL}, *three[] = {"sh", "-c", "exit 3", NULL}, *segv[] = {"sh", "-c", "kill -SEGV $$", NULL};
    char *none[] = {"splsuite-no-such-program", NULL}, *slow[] = {"sleep", "30", NULL};
    char *echo[] = {"sh", "-c", "echo hello; echo oops >&2", NULL};
    EXPECT(spl_spawn_wait(ok, NULL, 10000000000ull, err, sizeof err) == 0, "true: %s", err);
    EXPECT(spl_spawn_wait(three, NULL, 10000000000ull, err, sizeof err) == 3, "exit 3");
    EXPECT(spl_spawn_wait(segv, NULL, 10000000000ull, err, sizeof err) == 128 + SIGSEGV && strstr(err, "SIGSEGV"),
           "a crash: '%s'", err);
    EXPECT(spl_spawn_wait(none, NULL, 10000000000ull, err, sizeof err) == -1 && strstr(err, "No such file"),
           "a missing program: '%s'", err);
    uint64_t t0 = spl_time_ns();
    EXPECT(spl_spawn_wait(slow, NULL, 200000000ull, err, sizeof err) == -1 && strstr(err, "did not finish"),
           "a hang: '%s'", err);
    EXPECT((double)(spl_time_ns() - t0) / 1e9 < 5, "the hang was not killed at its deadline");
    EXPECT(spl_spawn_capture(echo, NULL, 10000000000ull, buf, sizeof buf, err, sizeof err) == 0 && !strcmp(buf, "hello\n"),
           "capture: '%s'", buf);
    struct spl_spawn_opts pd = {.flags = SPL_PROC_PDEATH};
    EXPECT(spl_spawn_wait(three, &pd, 10000000000ull, err, sizeof err) == 3, "fork+exec path: exit 3");
    EXPECT(spl_spawn_wait(none, &pd, 10000000000ull, err, sizeof err) == 127, "fork+exec path: missing program exits 127");

    char dir[] = "/tmp/splsuite-test-proclayer-XXXXXX";
    EXPECT(mkdtemp(dir) != NULL, "mkdtemp");
    char out[300], deep[300];
    snprintf(out, sizeof out, "%s/out.txt", dir);
    struct spl_spawn_opts fo = {.out = out, .err = "&1"};
    EXPECT(spl_spawn_wait(echo, &fo, 10000000000ull, err, sizeof err) == 0, "to a file: %s", err);
    FILE *f = fopen(out, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f) fclose(f);
    EXPECT(!strcmp(buf, "hello\noops\n"), "stdout and stderr in the file: '%s'", buf);
    snprintf(deep, sizeof deep, "%s/a/b/c", dir);
    EXPECT(spl_mkdir_p(deep, 0755) == 0, "mkdir -p %s: %s", deep, strerror(errno));
    EXPECT(spl_mkdir_p(deep, 0755) == 0, "mkdir -p of an existing directory");
    EXPECT(spl_mkdir_p(out, 0755) == -1 && errno == ENOTDIR, "mkdir -p over a file: %s", strerror(errno));
    EXPECT(spl_find_program("sh", buf, sizeof buf) && buf[0] == '/', "sh in PATH: '%s'", buf);
    EXPECT(!spl_find_program("splsuite-no-such-program", NULL, 0), "a missing program found");
    EXPECT(!spl_find_program(out, NULL, 0), "a non-executable file counted as a program");
    char rm[400];
    snprintf(rm, sizeof rm, "%s/a/b/c", dir), rmdir(rm);
    snprintf(rm, sizeof rm, "%s/a/b", dir), rmdir(rm);
    snprintf(rm, sizeof rm, "%s/a", dir), rmdir(rm);
    unlink(out), rmdir(dir);
}

int main(void)
{
    test_fork_and_reap();
    test_startline();
    test_spawn();
    test_interrupt();
    if (fails) fprintf(stderr, "%d check(s) failed\n", fails);
    else printf("process layer: ok\n");
    return fails ? 1 : 0;
}
