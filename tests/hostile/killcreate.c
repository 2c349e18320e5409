/*
 * killcreate.c - a create killed (SIGKILL) at any moment leaves either
 * nothing at the name or a complete store, never a half-made one.
 *
 * A store made in place (the original: open O_CREAT|O_EXCL, size, fill in)
 * and killed part way leaves a file that a later create refuses (EEXIST) and
 * an open refuses (EBADMSG): the name is poisoned until someone removes it
 * by hand. The reference builds the store unnamed and links it when
 * complete. Each round forks a child that creates a 256 MiB store (so the
 * sizing and the slot table take milliseconds) and kills it after a delay
 * from a fixed schedule (0 us to ~60 ms, so kills land before, inside and
 * after the create); then the name must either be absent (and a create of
 * it must work) or open as the store the child made (its geometry).
 *
 * usage: killcreate shm|file     exit 0 pass, 1 a finding
 */
#include "helpers.h"
#include "splinter.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { SLOTS = 65536, MAXVAL = 4096 }; /* 4 MiB of slots, 256 MiB of values */

static bool g_file;
static char g_name[320], g_entry[320]; /* store name; its directory entry */

static void remove_store(void)
{
    if (g_file) unlink(g_name);
    else shm_unlink(g_name);
}

static bool exists(void)
{
    struct stat sb;
    return lstat(g_entry, &sb) == 0;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0) {}
}

TEST(killed_creates)
{
    static const long delay_us[] = {0,    20,   50,   100,  200,  400,  700,  1000, 1500, 2000,
                                    3000, 4000, 6000, 8000, 11000, 15000, 20000, 27000, 36000, 48000, 64000};
    int nothing = 0, complete = 0, half = 0;
    for (size_t i = 0; i < sizeof delay_us / sizeof delay_us[0]; i++) {
        remove_store();
        fflush(stdout);
        pid_t c = fork();
        if (c < 0) { CHECK_ERRNO(0, "fork"); return; }
        if (c == 0) _exit(splinter_create(g_name, SLOTS, MAXVAL) == 0 ? 0 : 3);
        sleep_us(delay_us[i]);
        kill(c, SIGKILL);
        int st = 0;
        waitpid(c, &st, 0);
        if (!exists()) {
            nothing++;
            /* the name is free: a create of it works */
            int rc = splinter_create(g_name, 16, 64);
            CHECK_ERRNO(rc == 0, "kill after %ld us left nothing, but a create of the name then failed", delay_us[i]);
            if (rc == 0) splinter_close();
            continue;
        }
        int rc = splinter_open(g_name);
        splinter_header_snapshot_t hs;
        memset(&hs, 0, sizeof hs);
        if (rc == 0 && splinter_get_header_snapshot(&hs) == 0 && hs.slots == SLOTS && hs.max_val_sz == MAXVAL) {
            complete++;
            splinter_close();
        } else if (rc == 0) {
            /* an open that takes anything (the original) is no proof */
            half++;
            CHECK(0, "kill after %ld us left a store that opens with %u slots of %u bytes (made: %u of %u)", delay_us[i],
                  hs.slots, hs.max_val_sz, SLOTS, MAXVAL);
            splinter_close();
        } else {
            half++;
            CHECK_ERRNO(0, "kill after %ld us (child %s) left a store at the name that does not open", delay_us[i],
                        WIFSIGNALED(st) ? "killed" : "finished");
        }
    }
    remove_store();
    printf("     %d kills: %d left nothing, %d a complete store, %d a half-made one\n", nothing + complete + half,
           nothing, complete, half);
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "shm") && strcmp(argv[1], "file"))) {
        fprintf(stderr, "usage: killcreate shm|file\n");
        return 2;
    }
    g_file = !strcmp(argv[1], "file");
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    if (g_file) {
        snprintf(g_name, sizeof g_name, "%s/splsuite-kc-%d.spl", dir, (int)getpid());
        snprintf(g_entry, sizeof g_entry, "%s", g_name);
    } else {
        snprintf(g_name, sizeof g_name, "/splsuite-kc-%d", (int)getpid());
        snprintf(g_entry, sizeof g_entry, "/dev/shm%s", g_name);
    }
    RUN(killed_creates);
    remove_store();
    return T_DONE(g_file ? "killed create file" : "killed create shm");
}
