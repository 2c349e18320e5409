/*
 * spawn.c - fork/exec helpers for the lab's host-side steps (apt-get, dpkg,
 * depmod, modprobe, xz, cpio): plain processes, no shell, so paths with odd
 * characters cannot turn into commands.
 */
#include "lab.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t spawn(char *const argv[], const char *cwd, int in_fd, int out_fd, int err_fd)
{
    pid_t pid = fork();
    if (pid != 0) return pid;
    int devnull = open("/dev/null", O_RDWR);
    if (in_fd >= 0) dup2(in_fd, 0);
    else if (devnull >= 0) dup2(devnull, 0);
    if (out_fd >= 0) dup2(out_fd, 1);
    if (err_fd >= 0) dup2(err_fd, 2);
    if (cwd && chdir(cwd) != 0) _exit(127);
    execvp(argv[0], argv);
    _exit(127);
}

static int wait_status(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    if (WIFEXITED(st)) return WEXITSTATUS(st) == 127 ? -1 : WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}

int lab_spawn_wait(char *const argv[], const char *cwd, const char *out_path, bool verbose)
{
    return lab_spawn_io(argv, cwd, NULL, out_path, verbose);
}

int lab_spawn_io(char *const argv[], const char *cwd, const char *in_path, const char *out_path, bool verbose)
{
    int in_fd = -1;
    if (in_path && (in_fd = open(in_path, O_RDONLY | O_CLOEXEC)) < 0) return -1;
    int out_fd = -1;
    if (!out_path) out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    else if (strcmp(out_path, "-") != 0) out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_path && strcmp(out_path, "-") != 0 && out_fd < 0) {
        if (in_fd >= 0) close(in_fd);
        return -1;
    }
    int err_fd = verbose ? -1 : open("/dev/null", O_WRONLY | O_CLOEXEC);
    fflush(NULL);
    pid_t pid = spawn(argv, cwd, in_fd, out_fd, err_fd);
    if (in_fd >= 0) close(in_fd);
    if (out_fd >= 0) close(out_fd);
    if (err_fd >= 0) close(err_fd);
    if (pid < 0) return -1;
    return wait_status(pid);
}

int lab_spawn_capture(char *const argv[], char *buf, size_t sz)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return -1;
    int err_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    fflush(NULL);
    pid_t pid = spawn(argv, NULL, -1, p[1], err_fd);
    close(p[1]);
    if (err_fd >= 0) close(err_fd);
    size_t n = 0;
    char tmp[4096];
    ssize_t r;
    buf[0] = '\0';
    while ((r = read(p[0], tmp, sizeof tmp)) > 0 || (r < 0 && errno == EINTR)) {
        for (ssize_t i = 0; i < r && n + 1 < sz; i++) buf[n++] = tmp[i];
    }
    close(p[0]);
    buf[n < sz ? n : sz - 1] = '\0';
    if (pid < 0) return -1;
    return wait_status(pid);
}

bool lab_in_path(const char *prog, char *full, size_t sz)
{
    if (strchr(prog, '/')) {
        if (access(prog, X_OK) != 0) return false;
        if (full) snprintf(full, sz, "%s", prog);
        return true;
    }
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
    char *dup = strdup(path), *save = NULL;
    bool found = false;
    for (char *d = strtok_r(dup, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char cand[PATH_MAX];
        snprintf(cand, sizeof cand, "%s/%s", d, prog);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
            if (full) snprintf(full, sz, "%s", cand);
            found = true;
        }
    }
    free(dup);
    return found;
}

int lab_mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    return 0;
}

int lab_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d) return -1;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[PATH_MAX];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            lab_rm_rf(sub);
        }
        closedir(d);
        return rmdir(path);
    }
    return unlink(path);
}

void lab_shell_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputs("'\\''", f);
        else fputc(*s, f);
    }
    fputc('\'', f);
}
