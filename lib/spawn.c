/*
 * spawn.c - running programs (gnuplot, mkfs.ext4, apt-get, QEMU, valgrind):
 * posix_spawnp with the standard streams redirected, no shell (paths with
 * odd characters cannot turn into commands), in its own process group, with
 * a deadline; plus the one PATH lookup and the one mkdir -p of the suite.
 */
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* What fd should become: -2 leave it, else the descriptor to dup2 onto it. */
static int open_stream(const char *spec, bool input, int *fd, char *err, size_t errlen)
{
    if (spec && !strcmp(spec, "-")) { *fd = -2; return 0; }
    const char *path = spec ? spec : "/dev/null";
    *fd = input ? open(path, O_RDONLY | O_CLOEXEC) : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (*fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

pid_t spl_spawn(char *const argv[], const struct spl_spawn_opts *o, char *err, size_t errlen)
{
    static const struct spl_spawn_opts none = {0};
    if (!o) o = &none;
    int in = -2, out = -2, er = -2;
    pid_t pid = -1;
    if (open_stream(o->in, true, &in, err, errlen) != 0) return -1;
    if (o->out_fd > 0) out = o->out_fd;
    else if (open_stream(o->out, false, &out, err, errlen) != 0) goto done;
    if (o->err && !strcmp(o->err, "&1")) er = out == -2 ? STDOUT_FILENO : out;
    else if (open_stream(o->err, false, &er, err, errlen) != 0) goto done;
    fflush(NULL);
    if (o->flags & SPL_PROC_PDEATH) {
        /* posix_spawn cannot set a parent-death signal: fork and exec here */
        pid_t parent = getpid();
        pid = fork();
        if (pid == 0) {
            setpgid(0, 0);
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent) _exit(127);
            signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL), signal(SIGPIPE, SIG_DFL);
            if ((in >= 0 && dup2(in, 0) < 0) || (out >= 0 && dup2(out, 1) < 0) || (er >= 0 && dup2(er, 2) < 0)) _exit(127);
            if (o->cwd && chdir(o->cwd) != 0) _exit(127);
            execvp(argv[0], argv);
            dprintf(er >= 0 ? er : 2, "%s: %s\n", argv[0], strerror(errno));
            _exit(127);
        }
        if (pid < 0) snprintf(err, errlen, "fork for %s: %s", argv[0], strerror(errno));
        else setpgid(pid, pid);
        goto done;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    if (in >= 0) posix_spawn_file_actions_adddup2(&fa, in, 0);
    if (out >= 0) posix_spawn_file_actions_adddup2(&fa, out, 1);
    if (er >= 0) posix_spawn_file_actions_adddup2(&fa, er, 2);
    if (o->cwd) posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGINT), sigaddset(&def, SIGTERM), sigaddset(&def, SIGPIPE);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    int rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", argv[0], strerror(rc));
        pid = -1;
    }
done:
    if (in >= 0) close(in);
    if (out >= 0 && out != o->out_fd) close(out);
    if (er >= 0 && er != out && er != o->out_fd) close(er);
    return pid;
}

static int finish(pid_t pid, const char *prog, uint64_t t0, uint64_t timeout_ns, char *err, size_t errlen)
{
    struct spl_proc_end e;
    uint64_t deadline = timeout_ns == UINT64_MAX ? UINT64_MAX : t0 + timeout_ns;
    spl_proc_reap(&pid, 1, deadline, &e);
    if (e.killed) {
        if (e.interrupted) snprintf(err, errlen, "%s: interrupted", prog);
        else snprintf(err, errlen, "%s did not finish within %.1f s (killed)", prog, (double)timeout_ns / 1e9);
        return -1;
    }
    if (e.signal) {
        char sn[32];
        snprintf(err, errlen, "%s was killed by %s", prog, spl_signame(e.signal, sn, sizeof sn));
        return 128 + e.signal;
    }
    if (e.code != 0) snprintf(err, errlen, "%s exited %d", prog, e.code);
    return e.code;
}

int spl_spawn_wait(char *const argv[], const struct spl_spawn_opts *o, uint64_t timeout_ns, char *err, size_t errlen)
{
    uint64_t t0 = spl_time_ns();
    pid_t pid = spl_spawn(argv, o, err, errlen);
    if (pid < 0) return -1;
    return finish(pid, argv[0], t0, timeout_ns, err, errlen);
}

int spl_spawn_capture(char *const argv[], const struct spl_spawn_opts *o, uint64_t timeout_ns, char *buf, size_t len,
                      char *err, size_t errlen)
{
    int p[2];
    buf[0] = '\0';
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    struct spl_spawn_opts so = o ? *o : (struct spl_spawn_opts){0};
    so.out_fd = p[1];
    uint64_t t0 = spl_time_ns();
    pid_t pid = spl_spawn(argv, &so, err, errlen);
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return -1;
    }
    /* read until EOF (the program and whatever inherited the pipe are gone) or the deadline */
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    size_t n = 0;
    uint64_t deadline = timeout_ns == UINT64_MAX ? UINT64_MAX : t0 + timeout_ns;
    for (;;) {
        char tmp[4096];
        ssize_t r = read(p[0], tmp, sizeof tmp);
        if (r > 0) {
            for (ssize_t i = 0; i < r && n + 1 < len; i++) buf[n++] = tmp[i];
            continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EINTR) || spl_time_ns() >= deadline || spl_interrupted()) break;
        spl_sleep_ns(1000000);
    }
    close(p[0]);
    buf[n < len ? n : len - 1] = '\0';
    return finish(pid, argv[0], t0, timeout_ns, err, errlen);
}

bool spl_find_program(const char *prog, char *full, size_t len)
{
    struct stat sb;
    if (strchr(prog, '/')) {
        if (stat(prog, &sb) != 0 || !S_ISREG(sb.st_mode) || access(prog, X_OK) != 0) return false;
        if (full) snprintf(full, len, "%s", prog);
        return true;
    }
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin"; /* what execvp assumes */
    for (const char *p = path;; p++) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char cand[4096];
        /* an empty entry is the current directory */
        int l = n ? snprintf(cand, sizeof cand, "%.*s/%s", (int)n, p, prog) : snprintf(cand, sizeof cand, "./%s", prog);
        if (l > 0 && (size_t)l < sizeof cand && stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) && access(cand, X_OK) == 0) {
            if (full) snprintf(full, len, "%s", cand);
            return true;
        }
        if (!e) return false;
        p = e;
    }
}

int spl_mkdir_p(const char *path, unsigned mode)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST) return -1;
    struct stat sb;
    if (stat(buf, &sb) != 0) return -1;
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}
