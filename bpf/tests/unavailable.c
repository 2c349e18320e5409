/*
 * unavailable.c - without privileges `splsuite trace` must say why and exit
 * 77, not crash or print a libbpf errno. As root the test drops to nobody
 * (no capabilities) and runs the probe; as non-root it runs it directly.
 *
 * usage: unavailable SPLSUITE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s SPLSUITE\n", argv[0]);
        return 2;
    }
    int p[2];
    if (pipe(p)) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        if (geteuid() == 0 && (setgroups(0, NULL), setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))) {
            perror("dropping to nobody");
            _exit(1);
        }
        execl(argv[1], argv[1], "trace", "madvise", "-d", "1s", (char *)NULL);
        perror("exec");
        _exit(1);
    }
    close(p[1]);
    char buf[4096];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(p[0], buf + n, sizeof buf - 1 - n)) > 0) n += (size_t)r;
    buf[n] = 0;
    int st;
    waitpid(pid, &st, 0);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    printf("unprivileged run: exit %d, stderr: %s", code, buf);
    if (code != 77) {
        printf("FAIL: expected exit 77 (skipped: BPF unavailable)\n");
        return 1;
    }
    if (!strstr(buf, "not root")) {
        printf("FAIL: the message does not say the probes need root or CAP_BPF\n");
        return 1;
    }
    printf("PASS\n");
    return 0;
}
