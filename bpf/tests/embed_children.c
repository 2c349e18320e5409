/*
 * embed_children.c - the API bench and torture use for --trace
 * (spl_trace_start_self / spl_trace_stop) must count what this process's
 * descendants do, forked after the probes attached, and nothing else: a
 * grandchild makes exactly N madvise(MADV_RANDOM) calls, and the
 * "kernel_trace" member must hold exactly those (no other process of the
 * machine, no other call).
 */
#include "trace_embed.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum { N = 250 };

static json_object *get(json_object *o, const char *k)
{
    json_object *x;
    return o && json_object_object_get_ex(o, k, &x) ? x : NULL;
}

int main(void)
{
    if (geteuid() != 0) {
        printf("SKIP: needs root for BPF\n");
        return 77;
    }
    struct spl_trace *t = spl_trace_start_self("embed-test", NULL, 0);
    if (!t) {
        printf("SKIP: BPF unavailable (reason above)\n");
        return 77;
    }
    pid_t kid = fork();
    if (kid == 0) {
        pid_t gk = fork();
        if (gk == 0) {
            void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            for (int i = 0; i < N; i++)
                if (madvise(p, 4096, MADV_RANDOM)) _exit(1);
            _exit(0);
        }
        int st;
        waitpid(gk, &st, 0);
        _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
    }
    int st;
    waitpid(kid, &st, 0);
    json_object *root = json_object_new_object();
    json_object_object_add(root, "kernel_trace", spl_trace_stop(t));
    long random_calls = 0, other = 0;
    json_object *m = get(get(root, "kernel_trace"), "madvise");
    for (size_t i = 0; m && i < json_object_array_length(m); i++) {
        json_object *e = json_object_array_get_idx(m, i);
        long n = json_object_get_int64(get(e, "count"));
        if (json_object_get_int(get(e, "advice")) == MADV_RANDOM && json_object_get_int(get(e, "pid")) != getpid() &&
            json_object_get_int(get(e, "pid")) != kid)
            random_calls += n;
        else
            other += n;
    }
    printf("grandchild MADV_RANDOM calls: want %d got %ld; other calls (any process): want 0 got %ld\n", N,
           random_calls, other);
    bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0 && random_calls == N && other == 0 && get(get(root, "kernel_trace"), "eventfd");
    printf("%s\n", ok ? "PASS" : "FAIL");
    json_object_put(root);
    return ok ? 0 : 1;
}
