/*
 * madvise_loop.c - a known madvise load: N calls of one advice on one
 * populated page, optionally pinned to a CPU, timed. For measuring what the
 * probes cost (docs/benchmarks.md, "Tracing overhead") and for driving
 * `splsuite trace madvise` by hand, e.g. in the lab guest on a CPU of node 1:
 *
 *   madvise-loop 1000 1 willneed &  splsuite trace madvise -d 5s
 *
 * usage: madvise-loop N [CPU|-1] [normal|random|sequential|willneed|dontneed]
 * prints "N madvise(ADVICE) calls on CPU C: X ns/call" (best of 3 passes).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
    static const struct { const char *name; int adv; } advs[] = {
        {"normal", MADV_NORMAL}, {"random", MADV_RANDOM}, {"sequential", MADV_SEQUENTIAL},
        {"willneed", MADV_WILLNEED}, {"dontneed", MADV_DONTNEED},
    };
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s N [CPU|-1] [normal|random|sequential|willneed|dontneed]\n", argv[0]);
        return 2;
    }
    long n = strtol(argv[1], NULL, 10);
    int cpu = argc > 2 ? atoi(argv[2]) : -1;
    size_t a = 0;
    if (argc > 3)
        for (a = 0; a < 5 && strcmp(advs[a].name, argv[3]) != 0; a++) {}
    if (n <= 0 || a == 5) {
        fprintf(stderr, "%s: bad N or advice\n", argv[0]);
        return 2;
    }
    if (cpu >= 0) {
        cpu_set_t s;
        CPU_ZERO(&s);
        CPU_SET(cpu, &s);
        if (sched_setaffinity(0, sizeof s, &s) != 0) {
            perror("sched_setaffinity");
            return 1;
        }
    }
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    double best = 0;
    for (int pass = 0; pass < 3; pass++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++)
            if (madvise(p, 4096, advs[a].adv) != 0) {
                perror("madvise");
                return 1;
            }
        double per = (now_ns() - t0) / (double)n;
        if (pass == 0 || per < best) best = per;
    }
    printf("%ld madvise(%s) calls on CPU %d: %.1f ns/call (best of 3 passes)\n", n, advs[a].name, cpu, best);
    return 0;
}
