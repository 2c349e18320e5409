/*
 * test_bus.c - the eventfd event bus: init, open, wait, dirty mask, the
 * armed opener, and a writer in another process.
 *
 * Cross-process cases fork inside the Criterion worker. The child never
 * returns into Criterion (Criterion issues #519, #383, #129): it does its
 * work with plain calls and leaves with _exit(), reporting through its exit
 * status; the parent asserts.
 */
#include "common.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

static int bit_set(long idx)
{
    uint64_t d[SPLINTER_EVENT_BUS_MASK_WORDS] = {0};
    splinter_event_bus_get_dirty(d, SPLINTER_EVENT_BUS_MASK_WORDS);
    size_t m = (size_t)idx % 1024;
    return (d[m / 64] >> (m % 64)) & 1;
}

static int child_status(pid_t pid)
{
    int st = 0;
    if (waitpid(pid, &st, 0) != pid) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

Test(bus, init_publishes_owner, .init = t_setup, .fini = t_teardown)
{
    cr_assert_eq(splinter_event_bus_init(), 0);
    struct splinter_header *H = splref_header(t_peek);
    cr_assert_geq(atomic_load(&H->event_bus.owner_fd), 0);
    cr_assert_eq(atomic_load(&H->event_bus.owner_pid), getpid());
}

Test(bus, open_without_owner_is_enodev, .init = t_setup, .fini = t_teardown)
{
    errno = 0;
    cr_assert_eq(splinter_event_bus_open(), -1);
    cr_assert_eq(errno, ENODEV);
}

Test(bus, owner_write_wakes_and_marks_dirty, .init = t_setup, .fini = t_teardown)
{
    t_set_str("before", "x");
    cr_assert_eq(bit_set(t_slot_index("before")), 0, "unarmed writes do not touch the mask");
    cr_assert_eq(splinter_event_bus_init(), 0);
    int fd = splinter_event_bus_open();
    cr_assert_geq(fd, 0);
    errno = 0;
    cr_assert_eq(splinter_event_bus_wait(fd, 20), -1);
    cr_assert_eq(errno, ETIMEDOUT);
    t_set_str("k", "v");
    cr_assert_eq(splinter_event_bus_wait(fd, 1000), 0);
    cr_assert_eq(bit_set(t_slot_index("k")), 1);
    cr_assert_eq(splinter_event_bus_wait(fd, 0), -1, "the read consumed the count");
    /* every data write notifies: label, named type, integer op, append */
    size_t n;
    cr_assert_eq(splinter_append("k", "w", 1, &n), 0);
    cr_assert_eq(splinter_event_bus_wait(fd, 1000), 0);
    cr_assert_eq(splinter_set_label("k", 1), 0);
    cr_assert_eq(splinter_event_bus_wait(fd, 1000), 0);
    splinter_event_bus_close(fd);
    errno = 0;
    cr_assert_eq(splinter_event_bus_wait(-1, 0), -1);
    cr_assert_eq(errno, EBADF);
}

/* Unlike the original, a process that opens the bus is armed: its writes
 * notify too. A second handle stands in for a second client here. */
Test(bus, opener_is_armed, .init = t_setup, .fini = t_teardown)
{
    cr_assert_eq(splinter_event_bus_init(), 0);
    int fd = splinter_event_bus_open();
    cr_assert_geq(fd, 0);
    int pfd = splref_event_bus_open(t_peek);
    cr_assert_geq(pfd, 0);
    cr_assert_eq(splref_set(t_peek, "peer", "1", 1), 0);
    cr_assert_eq(splinter_event_bus_wait(fd, 1000), 0);
    cr_assert_eq(bit_set(t_slot_index("peer")), 1);
    splinter_event_bus_close(pfd);
    splinter_event_bus_close(fd);
}

Test(bus, closing_owner_withdraws_the_fd, .init = t_setup, .fini = t_teardown)
{
    cr_assert_eq(splinter_event_bus_init(), 0);
    splinter_close();
    struct splinter_header *H = splref_header(t_peek);
    cr_assert_eq(atomic_load(&H->event_bus.owner_fd), -1);
    cr_assert_eq(atomic_load(&H->event_bus.owner_pid), 0);
}

/* The parent owns the bus; a forked child reopens the store by name, opens
 * the bus through pidfd_getfd, writes, and _exit()s. */
Test(bus, writer_in_another_process, .init = t_setup, .fini = t_teardown, .timeout = 30)
{
    cr_assert_eq(splinter_event_bus_init(), 0);
    int fd = splinter_event_bus_open();
    cr_assert_geq(fd, 0);
    fflush(NULL);
    pid_t pid = t_fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        splinter_close();
        if (splinter_open(t_store) != 0) _exit(10);
        int cfd = splinter_event_bus_open();
        if (cfd < 0) _exit(errno == EPERM || errno == ENOSYS ? 77 : 11);
        if (splinter_set("from-child", "hi", 2) != 0) _exit(12);
        splinter_event_bus_close(cfd);
        splinter_close();
        _exit(0);
    }
    int rc = splinter_event_bus_wait(fd, 10000);
    int st = child_status(pid);
    if (st == 77) cr_skip_test("pidfd_getfd unavailable here (ptrace policy, or valgrind < 3.20)");
    cr_assert_eq(st, 0, "child failed with %d", st);
    cr_assert_eq(rc, 0, "the child's write did not wake the owner");
    cr_assert_eq(bit_set(t_slot_index("from-child")), 1);
    char b[4];
    size_t n;
    cr_assert_eq(splinter_get("from-child", b, sizeof b, &n), 0);
    splinter_event_bus_close(fd);
}

/* The other direction: the child waits on the bus owned by the parent. */
Test(bus, waiter_in_another_process, .init = t_setup, .fini = t_teardown, .timeout = 30)
{
    cr_assert_eq(splinter_event_bus_init(), 0);
    int ready[2];
    cr_assert_eq(pipe(ready), 0);
    fflush(NULL);
    pid_t pid = t_fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(ready[0]);
        int cfd = splinter_event_bus_open();
        if (write(ready[1], "r", 1) != 1) _exit(12);
        if (cfd < 0) _exit(errno == EPERM || errno == ENOSYS ? 77 : 11);
        int rc = splinter_event_bus_wait(cfd, 10000);
        _exit(rc == 0 ? 0 : 13);
    }
    close(ready[1]);
    char c;
    cr_assert_eq(read(ready[0], &c, 1), 1);
    close(ready[0]);
    t_set_str("wake", "up");
    int st = child_status(pid);
    if (st == 77) cr_skip_test("pidfd_getfd unavailable here (ptrace policy, or valgrind < 3.20)");
    cr_assert_eq(st, 0, "child failed with %d", st);
}

/* ---- several waiters ----------------------------------------------------
 * One write wakes every waiter in every process, and no wait outlasts its
 * timeout. (The original's wait is poll + read: the first waiter's read
 * drains the counter, the others, woken by the same poll, block in read()
 * past their timeout, forever if nobody writes again.) Each child opens the
 * bus, says it is ready, waits for the write (rc1), then waits again on a
 * quiet bus for 300 ms (rc2, which must time out on time). */
enum { BW_WAITERS = 4, BW_QUIET_MS = 300 };

static void bus_waiter_child(int ready_fd)
{
    splinter_close();
    if (splinter_open(t_store) != 0) _exit(10);
    int fd = splinter_event_bus_open();
    if (fd < 0) _exit(errno == EPERM || errno == ENOSYS ? 77 : 11);
    if (write(ready_fd, "r", 1) != 1) _exit(12);
    if (splinter_event_bus_wait(fd, 5000) != 0) _exit(13); /* the write must wake us */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    errno = 0;
    int rc = splinter_event_bus_wait(fd, BW_QUIET_MS);
    double ms = t_ms_since(&t0);
    if (rc != -1 || errno != ETIMEDOUT) _exit(14);
    if (ms < BW_QUIET_MS - 1) _exit(15); /* early */
    if (ms > BW_QUIET_MS + 2000) _exit(16); /* outlasted its timeout */
    splinter_event_bus_close(fd);
    _exit(0);
}

Test(bus, one_write_wakes_every_waiter_in_every_process, .init = t_setup, .fini = t_teardown, .timeout = 30)
{
    cr_assert_eq(splinter_event_bus_init(), 0);
    int ready[2];
    cr_assert_eq(pipe(ready), 0);
    fflush(NULL);
    pid_t kids[BW_WAITERS];
    for (int i = 0; i < BW_WAITERS; i++) {
        kids[i] = t_fork();
        cr_assert_geq(kids[i], 0);
        if (kids[i] == 0) {
            close(ready[0]);
            bus_waiter_child(ready[1]);
        }
    }
    close(ready[1]);
    for (int i = 0; i < BW_WAITERS; i++) {
        char c;
        cr_assert_eq(read(ready[0], &c, 1), 1, "a waiter did not get ready");
    }
    close(ready[0]);
    struct timespec nap = {0, 20 * 1000000L};
    nanosleep(&nap, NULL); /* let them enter the wait */
    t_set_str("wake", "all");
    /* a waiter stuck in read() never exits: give up on it after 8 s */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int st[BW_WAITERS], woke = 0, stuck = 0;
    for (int i = 0; i < BW_WAITERS; i++) {
        st[i] = -1;
        while (t_ms_since(&t0) < 8000) {
            int s = 0;
            if (waitpid(kids[i], &s, WNOHANG) == kids[i]) {
                st[i] = WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
                break;
            }
            nanosleep(&(struct timespec){0, 5000000}, NULL);
        }
        if (st[i] < 0) {
            kill(kids[i], SIGKILL);
            waitpid(kids[i], NULL, 0);
            stuck++;
        }
    }
    for (int i = 0; i < BW_WAITERS; i++) {
        if (st[i] == 77) cr_skip_test("pidfd_getfd unavailable here (ptrace policy, or valgrind < 3.20)");
        woke += st[i] == 0;
    }
    cr_assert_eq(stuck, 0, "%d waiter(s) still blocked 8 s after the write (timeouts were 5 s and %d ms)", stuck, BW_QUIET_MS);
    for (int i = 0; i < BW_WAITERS; i++)
        cr_assert_eq(st[i], 0, "waiter %d: exit %d (13 not woken, 14 quiet wait did not time out, 15 early, 16 late)", i,
                     st[i]);
    cr_assert_eq(woke, BW_WAITERS);
}

/* A write that lands while the waiter is not inside a wait is not lost: it
 * is reported by the next wait (each descriptor keeps its own pending
 * edge), once; writes made before the descriptor was opened are not. */
Test(bus, a_write_between_waits_is_reported_once, .init = t_setup, .fini = t_teardown)
{
    cr_assert_eq(splinter_event_bus_init(), 0);
    t_set_str("before", "open");
    int fd = splinter_event_bus_open();
    cr_assert_geq(fd, 0);
    errno = 0;
    cr_assert_eq(splinter_event_bus_wait(fd, 0), -1, "a write before the open is not reported");
    cr_assert_eq(errno, ETIMEDOUT);
    t_set_str("between", "waits");
    t_set_str("between", "again");
    cr_assert_eq(splinter_event_bus_wait(fd, 0), 0, "the writes since the last wait");
    errno = 0;
    cr_assert_eq(splinter_event_bus_wait(fd, 0), -1, "reported once");
    cr_assert_eq(errno, ETIMEDOUT);
    /* a second descriptor in the same process sees the same writes */
    int fd2 = splinter_event_bus_open();
    cr_assert_geq(fd2, 0);
    t_set_str("both", "see");
    cr_assert_eq(splinter_event_bus_wait(fd, 0), 0);
    cr_assert_eq(splinter_event_bus_wait(fd2, 0), 0);
    splinter_event_bus_close(fd2);
    splinter_event_bus_close(fd);
}

/* ---- adaptive mode (SPLREF_BUS_SPIN): the spin changes when a wait
 * notices a write, never what it reports ---------------------------------- */

struct later { splref_store *via; const char *key; unsigned delay_us; };

static void *write_later(void *arg)
{
    const struct later *l = arg;
    usleep(l->delay_us);
    if (l->via) splref_set(l->via, l->key, "v", 1); /* a handle that never opened the bus: not armed */
    else splinter_set(l->key, "v", 1);
    return NULL;
}

static int wait_for_write(int fd, splref_store *via, const char *key, unsigned delay_us, uint64_t timeout_ms)
{
    pthread_t th;
    struct later l = {via, key, delay_us};
    cr_assert_eq(pthread_create(&th, NULL, write_later, &l), 0);
    int rc = splinter_event_bus_wait(fd, timeout_ms);
    int saved = errno;
    pthread_join(th, NULL);
    errno = saved;
    return rc;
}

Test(bus, adaptive_wait_reports_each_notifying_write_once, .init = t_setup, .fini = t_teardown, .timeout = 30)
{
    cr_assert_eq(splinter_event_bus_init(), 0);
    setenv("SPLREF_BUS_SPIN", "on", 1);
    int fd = splinter_event_bus_open();
    unsetenv("SPLREF_BUS_SPIN");
    cr_assert_geq(fd, 0);
    errno = 0;
    cr_assert_eq(splinter_event_bus_wait(fd, 0), -1);
    cr_assert_eq(errno, ETIMEDOUT);
    /* writes 20 us .. 2 ms after the wait began: caught by the spin or the
     * block, as the budget learns; each is reported once, with its dirty bit */
    for (int i = 0; i < 40; i++) {
        unsigned d = i % 4 == 3 ? 2000 : 20u + 30u * (unsigned)(i % 4);
        cr_assert_eq(wait_for_write(fd, NULL, "k", d, 2000), 0, "round %d: the write woke the waiter", i);
        cr_assert_eq(bit_set(t_slot_index("k")), 1, "round %d: the dirty bit is set when the wait returns", i);
        errno = 0;
        cr_assert_eq(splinter_event_bus_wait(fd, 5), -1, "round %d: the write is reported once", i);
        cr_assert_eq(errno, ETIMEDOUT);
    }
    /* a write that moves the global epoch but notifies nobody wakes nobody */
    errno = 0;
    cr_assert_eq(wait_for_write(fd, t_peek, "quiet", 50, 30), -1, "an unarmed writer's epoch bump is not a bus write");
    cr_assert_eq(errno, ETIMEDOUT);
    splinter_event_bus_close(fd);
}
