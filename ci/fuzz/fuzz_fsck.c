/*
 * fuzz_fsck.c - libFuzzer target: the independent store checker behind
 * `splsuite fsck` (lib/fsck.h) on arbitrary images.
 *
 * fsck.h promises that spl_fsck_image() reads only inside the buffer, never
 * aborts, and handles any length and any lying geometry. The target checks
 * the image, renders the JSON report, then repairs a private copy with every
 * fix and checks it again (repair must also stay inside the buffer).
 */
#include "fsck.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct spl_fsck_opts o = SPL_FSCK_OPTS_INIT;
    o.stuck = size & 1; /* both policies for odd epochs */
    struct spl_fsck_result r;
    int rc = spl_fsck_image(data, size, &o, &r);
    if (rc < -1 || rc > 1) abort(); /* outside the documented contract */
    json_object *j = spl_fsck_result_json(&r, "fuzz");
    if (j) {
        json_object_to_json_string(j);
        json_object_put(j);
    }
    if (rc == 1 && r.header_ok) {
        /* exact-size private copy: ASan flags any repair write past the end */
        uint8_t *copy = malloc(size ? size : 1);
        if (copy) {
            memcpy(copy, data, size);
            spl_fsck_repair(copy, size, &r, SPL_FSCK_FIX_ALL, NULL, NULL);
            struct spl_fsck_result r2;
            spl_fsck_image(copy, size, &o, &r2);
            spl_fsck_result_free(&r2);
            free(copy);
        }
    }
    spl_fsck_result_free(&r);
    return 0;
}
