/*
 * replay.c - runs a fuzz target on files, without libFuzzer.
 *
 * Linked with a target in every build (gcc included), so the seed corpus and
 * each crash ever found (ci/fuzz/regressions/) are replayed by `meson test`
 * even where clang's libFuzzer is not available. Arguments are files or
 * directories (their regular files, in name order).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return -1; }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); buf = NULL; }
            buf = nb;
        }
    }
    fclose(f);
    if (!buf) { fprintf(stderr, "%s: out of memory\n", path); return -1; }
    /* an exact-size copy so a sanitizer sees reads past the input's end */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) { free(buf); return -1; }
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int cmp(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

int main(int argc, char **argv)
{
    size_t n = 0;
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) { perror(argv[i]); bad = 1; continue; }
        if (!S_ISDIR(sb.st_mode)) { bad |= replay_file(argv[i]) != 0; n++; continue; }
        struct dirent **ents;
        int k = scandir(argv[i], &ents, NULL, cmp);
        if (k < 0) { perror(argv[i]); bad = 1; continue; }
        for (int j = 0; j < k; j++) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", argv[i], ents[j]->d_name);
            if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) { bad |= replay_file(p) != 0; n++; }
            free(ents[j]);
        }
        free(ents);
    }
    printf("replayed %zu input(s)%s\n", n, bad ? ", some unreadable" : "");
    return bad;
}
