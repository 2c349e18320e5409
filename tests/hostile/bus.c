/*
 * bus.c - the event bus against planted owner fields and a racing re-init.
 *
 * The header names the bus by owner_pid/owner_fd: a client fetches that
 * descriptor (pidfd_getfd, or dup when the pid is its own) and writes 8
 * bytes into it on every notifying set. Anyone who can write the store can
 * name any descriptor of any process they may ptrace. The library must
 * check that it got an eventfd, held by a process that has this store
 * mapped, and refuse the bus otherwise (never write into what it got).
 *
 * And splinter_event_bus_init replaces the bus while other threads of the
 * process may be writing notifications to the old descriptor: the number
 * must never be closed under them (a write would land in whatever file
 * reuses the number). reinit_during_a_write forces that interleaving: this
 * program defines write() (-rdynamic: the library's call binds to it) and
 * holds one notifier just before its system call while the main thread
 * re-inits the bus; reinit_under_writers is the same race left to chance.
 *
 * usage: bus shm|file      exit 0 pass, 1 a finding
 */
#include "helpers.h"
#include "splinter.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static bool g_file;
static char g_name[320];
static struct splinter_header *g_H; /* our own view of the header, as a peer has */
static size_t g_size;

static void remove_store(void)
{
    if (g_file) unlink(g_name);
    else shm_unlink(g_name);
}

static int make_store(void)
{
    remove_store();
    if (splinter_create(g_name, 64, 64) != 0) return -1;
    int fd = g_file ? open(g_name, O_RDWR | O_CLOEXEC) : shm_open(g_name, O_RDWR, 0);
    if (fd < 0) return -1;
    struct stat sb;
    fstat(fd, &sb);
    g_size = (size_t)sb.st_size;
    g_H = mmap(NULL, g_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return g_H == MAP_FAILED ? -1 : 0;
}

static void drop_store(void)
{
    splinter_close();
    if (g_H && g_H != MAP_FAILED) munmap(g_H, g_size);
    g_H = NULL;
    remove_store();
}

static void plant(pid_t pid, int fd)
{
    atomic_store(&g_H->event_bus.owner_fd, fd);
    atomic_store(&g_H->event_bus.owner_pid, (int32_t)pid);
}

/* bytes waiting in a non-blocking read end */
static ssize_t pending(int rfd)
{
    char buf[256];
    ssize_t n = read(rfd, buf, sizeof buf);
    return n < 0 ? 0 : n;
}

/* a few notifying writes */
static void sets(void)
{
    for (int i = 0; i < 8; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        splinter_set(k, "v", 1);
    }
}

/* ---- a second process ---------------------------------------------------- */
/* A peer runs start() (its int answer goes back to us), waits until
 * peer_end, then exits with finish(answer) (0 without finish). It dies with
 * us; it shares our descriptors and our mapping at fork. */
struct peer {
    pid_t pid;
    int ready, go; /* our ends: the answer comes on ready; closing go ends it */
};

static int peer_start(struct peer *pr, int (*start)(void), int (*finish)(int))
{
    int ready[2], go[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return -1;
    if (pipe2(go, O_CLOEXEC) != 0) { close(ready[0]), close(ready[1]); return -1; }
    fflush(NULL); /* nothing buffered is written twice */
    pr->pid = fork();
    if (pr->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(go[1]);
        close(ready[0]);
        int v = start ? start() : 0;
        if (write(ready[1], &v, sizeof v) != sizeof v) _exit(1);
        char x;
        while (read(go[0], &x, 1) < 0 && errno == EINTR) {}
        _exit(finish ? finish(v) : 0);
    }
    close(ready[1]);
    close(go[0]);
    pr->ready = ready[0], pr->go = go[1];
    if (pr->pid < 0) { close(pr->ready), close(pr->go); return -1; }
    return 0;
}

/* start()'s answer; -1 when the peer did not give one */
static int peer_answer(struct peer *pr, int *v)
{
    return read(pr->ready, v, sizeof *v) == sizeof *v ? 0 : -1;
}

/* Lets the peer finish; its wait status. */
static int peer_end(struct peer *pr)
{
    int st = 0;
    close(pr->go);
    waitpid(pr->pid, &st, 0);
    close(pr->ready);
    return st;
}

/* Our own pipe named as the bus (owner_pid = us): refused, nothing written. */
TEST(planted_own_pipe)
{
    if (make_store() != 0) { CHECK_ERRNO(0, "make store"); return; }
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) { CHECK_ERRNO(0, "pipe"); drop_store(); return; }
    plant(getpid(), p[1]);
    errno = 0;
    int fd = splinter_event_bus_open();
    int err = errno;
    CHECK(fd < 0 && err != 0, "event_bus_open took our pipe as the bus: fd %d errno %d", fd, err);
    if (fd >= 0) splinter_event_bus_close(fd);
    sets();
    ssize_t n = pending(p[0]);
    CHECK(n == 0, "%zd bytes of notifications were written into a pipe the header named", n);
    close(p[0]);
    close(p[1]);
    drop_store();
}

/* Another process's pipe (or socket) named as the bus: refused. */
TEST(planted_other_pipe)
{
    if (make_store() != 0) { CHECK_ERRNO(0, "make store"); return; }
    int p[2];
    struct peer victim; /* holds the pipe's write end, has the store mapped (it inherited g_H) */
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) { CHECK_ERRNO(0, "pipe"); drop_store(); return; }
    if (peer_start(&victim, NULL, NULL) != 0) { CHECK_ERRNO(0, "fork"); close(p[0]), close(p[1]); drop_store(); return; }
    close(p[1]); /* only the victim holds it now: bytes in p[0] came through its descriptor */
    /* the victim's descriptor numbers are ours at fork: p[1]'s number there */
    int victim_fd = p[1];
    plant(victim.pid, victim_fd);
    errno = 0;
    int fd = splinter_event_bus_open();
    int err = errno;
    CHECK(fd < 0 && err != 0, "event_bus_open took another process's pipe as the bus: fd %d errno %d", fd, err);
    if (fd >= 0) splinter_event_bus_close(fd);
    sets();
    ssize_t n = pending(p[0]);
    CHECK(n == 0, "%zd bytes of notifications were written into another process's pipe", n);
    peer_end(&victim);
    close(p[0]);
    drop_store();
}

/* the victim of planted_foreign_eventfd: no mapping of the store, an eventfd */
static int unmapped_eventfd(void)
{
    munmap(g_H, g_size);
    splinter_close();
    return eventfd(0, EFD_CLOEXEC);
}

/* 3: someone wrote into it */
static int eventfd_written(int efd)
{
    uint64_t v = 0;
    int fl = fcntl(efd, F_GETFL);
    fcntl(efd, F_SETFL, fl | O_NONBLOCK);
    return read(efd, &v, sizeof v) == (ssize_t)sizeof v ? 3 : 0;
}

/* An eventfd of a process that does not have the store mapped: not its owner. */
TEST(planted_foreign_eventfd)
{
    if (make_store() != 0) { CHECK_ERRNO(0, "make store"); return; }
    struct peer victim;
    if (peer_start(&victim, unmapped_eventfd, eventfd_written) != 0) { CHECK_ERRNO(0, "fork"); drop_store(); return; }
    int efd = -1;
    if (peer_answer(&victim, &efd) != 0) CHECK(0, "victim did not start");
    plant(victim.pid, efd);
    errno = 0;
    int fd = splinter_event_bus_open();
    int err = errno;
    CHECK(fd < 0 && err != 0, "event_bus_open took the eventfd of a process without the store mapped: fd %d errno %d", fd, err);
    if (fd >= 0) splinter_event_bus_close(fd);
    sets();
    int st = peer_end(&victim);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the victim's eventfd was written to (status %#x)", st);
    drop_store();
}

static int bus_init_ok(void) { return splinter_event_bus_init() == 0; }

/* The real owner still works: a bus made by bus_init in another process. */
TEST(real_owner_accepted)
{
    if (make_store() != 0) { CHECK_ERRNO(0, "make store"); return; }
    struct peer owner;
    if (peer_start(&owner, bus_init_ok, NULL) != 0) { CHECK_ERRNO(0, "fork"); drop_store(); return; }
    int ok = 0;
    if (peer_answer(&owner, &ok) != 0 || !ok) CHECK(0, "the owner's bus_init failed");
    int fd = splinter_event_bus_open();
    CHECK_ERRNO(fd >= 0, "event_bus_open of a real owner's bus");
    if (fd >= 0) {
        splinter_set("wake", "1", 1);
        CHECK(splinter_event_bus_wait(fd, 1000) == 0, "no wake from our own set through the owner's bus");
        splinter_event_bus_close(fd);
    }
    peer_end(&owner);
    drop_store();
}

/* ---- bus_init while other threads notify --------------------------------- */
static atomic_bool stop;

static void *notifier(void *arg)
{
    (void)arg;
    unsigned i = 0;
    while (!atomic_load(&stop)) {
        char k[16];
        snprintf(k, sizeof k, "n%u", i++ % 32);
        splinter_set(k, "v", 1);
    }
    return NULL;
}

/* write() of this program: the library's notify calls it. Armed, it holds
 * the armed thread's 8-byte write (a notification) after the library chose
 * its descriptor and before the system call, until released. */
static _Thread_local bool hold_me;
static atomic_int hold_fd = -1;
static atomic_bool hold_armed, held, release_hold;

ssize_t write(int fd, const void *buf, size_t n)
{
    if (hold_me && n == 8 && atomic_exchange(&hold_armed, false)) {
        atomic_store(&hold_fd, fd);
        atomic_store(&held, true);
        for (int i = 0; i < 5000 && !atomic_load(&release_hold); i++) usleep(1000); /* bounded: 5 s */
    }
    return syscall(SYS_write, fd, buf, n);
}

static void *one_set(void *arg)
{
    (void)arg;
    hold_me = true;
    splinter_set("held", "v", 1);
    return NULL;
}

/* The interleaving reinit_under_writers waits for, forced: a notifier has
 * its descriptor number and is about to write; the bus is re-initialized;
 * another thread's socket takes any number the re-init freed. The write
 * must land in an eventfd, never in that socket. */
TEST(reinit_during_a_write)
{
    if (make_store() != 0) { CHECK_ERRNO(0, "make store"); return; }
    if (splinter_event_bus_init() != 0) { CHECK_ERRNO(0, "bus_init"); drop_store(); return; }
    atomic_store(&held, false);
    atomic_store(&release_hold, false);
    atomic_store(&hold_fd, -1);
    atomic_store(&hold_armed, true);
    pthread_t held_writer;
    if (pthread_create(&held_writer, NULL, one_set, NULL) != 0) {
        atomic_store(&hold_armed, false);
        CHECK(0, "pthread_create");
        drop_store();
        return;
    }
    for (int i = 0; i < 5000 && !atomic_load(&held); i++) usleep(1000);
    int fd = atomic_load(&hold_fd), sv[2] = {-1, -1};
    long stray = 0;
    CHECK(atomic_load(&held), "the set never wrote a notification (no bus write within 5 s)");
    if (atomic_load(&held)) {
        CHECK_ERRNO(splinter_event_bus_init() == 0, "bus_init while a notification is in flight");
        /* the held write's number, closed by the re-init, is taken by a
         * socket (as any open() in another thread would take it) */
        bool closed = fcntl(fd, F_GETFD) < 0 && errno == EBADF;
        CHECK(!closed, "bus_init closed descriptor %d while a notifier was about to write to it", fd);
        if (closed && socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0 &&
            sv[0] != fd && dup2(sv[0], fd) < 0)
            CHECK_ERRNO(0, "dup2 onto the freed number");
    }
    atomic_store(&release_hold, true);
    pthread_join(held_writer, NULL);
    if (sv[1] >= 0) {
        char buf[64];
        while (recv(sv[1], buf, sizeof buf, 0) > 0) stray++;
        CHECK(stray == 0, "the held notification landed in the socket that reused descriptor %d", fd);
        close(sv[0]);
        close(sv[1]);
        if (sv[0] != fd) close(fd);
    }
    drop_store();
}

/* A re-init must not close the descriptor a notifier may be writing to: a
 * socket that gets the freed number would receive 8-byte notifications. */
TEST(reinit_under_writers)
{
    if (make_store() != 0) { CHECK_ERRNO(0, "make store"); return; }
    if (splinter_event_bus_init() != 0) { CHECK_ERRNO(0, "bus_init"); drop_store(); return; }
    /* the deterministic half: the number the header names (and notifiers
     * write to) is still open after a re-init; the race below shows what a
     * closed one costs, when it hits (not every run on a loaded machine) */
    int old = atomic_load(&g_H->event_bus.owner_fd);
    if (splinter_event_bus_init() != 0) { CHECK_ERRNO(0, "bus_init"); drop_store(); return; }
    CHECK(old >= 0 && fcntl(old, F_GETFD) != -1, "a re-init closed the bus descriptor %d that notifiers write to", old);
    atomic_store(&stop, false);
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, notifier, NULL);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    now = t0;
    long stray = 0, rounds = 0;
    do {
        if (splinter_event_bus_init() != 0) { CHECK_ERRNO(0, "bus_init"); break; }
        /* take freed descriptor numbers at once: a number closed by the
         * init is the lowest free one, so sv[0] gets it */
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            continue;
        }
        for (int k = 0; k < 20; k++) sched_yield();
        char buf[64];
        while (recv(sv[1], buf, sizeof buf, 0) > 0) stray++;
        close(sv[0]);
        close(sv[1]);
        rounds++;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 < 1500);
    atomic_store(&stop, true);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    CHECK(stray == 0, "%ld notifications landed in sockets that reused a closed bus descriptor (%ld re-inits)", stray, rounds);
    drop_store();
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "shm") && strcmp(argv[1], "file"))) {
        fprintf(stderr, "usage: bus shm|file\n");
        return 2;
    }
    g_file = !strcmp(argv[1], "file");
    const char *dir = getenv("TMPDIR");
    if (g_file) snprintf(g_name, sizeof g_name, "%s/splsuite-hbus-%d.spl", dir && *dir ? dir : "/tmp", (int)getpid());
    else snprintf(g_name, sizeof g_name, "/splsuite-hbus-%d", (int)getpid());
    RUN(planted_own_pipe);
    RUN(planted_other_pipe);
    RUN(planted_foreign_eventfd);
    RUN(real_owner_accepted);
    RUN(reinit_during_a_write);
    RUN(reinit_under_writers);
    remove_store();
    return T_DONE(g_file ? "hostile bus file" : "hostile bus shm");
}
