/*
 * test_perfctr.c - the counter group counts what it should: task-clock
 * grows with work, page faults count first touches, and each hardware
 * event is either counted (> 0) or reported unsupported with a reason.
 */
#include "perfctr.h"
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(void)
{
    struct spl_perfctr pc;
    int n = spl_perfctr_open(&pc, 0, false);
    if (n == 0) {
        printf("SKIP: perf_event_open unavailable (%s)\n", strerror(pc.open_errno[0]));
        return 77;
    }
    size_t len = 256 * 4096;
    spl_perfctr_start(&pc);
    volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t i = 0; i < len; i += 4096) p[i] = 1;
    volatile double x = 1;
    for (int i = 0; i < 5000000; i++) x = x * 1.0000001;
    spl_perfctr_stop(&pc);
    if (spl_perfctr_read(&pc) != 0) { printf("FAIL: read\n"); return 1; }
    if (pc.value[SPL_PERF_TASK_CLOCK] < 1000000) { printf("FAIL: task-clock %llu ns for ~ms of work\n", (unsigned long long)pc.value[SPL_PERF_TASK_CLOCK]); fails++; }
    if (pc.supported[SPL_PERF_PAGE_FAULTS] && pc.value[SPL_PERF_PAGE_FAULTS] < 256) {
        printf("FAIL: page-faults %llu < 256 touched pages\n", (unsigned long long)pc.value[SPL_PERF_PAGE_FAULTS]);
        fails++;
    }
    /* run as an unprivileged user under perf_event_paranoid >= 2: counted user-only, and said so */
    const char *uo = getenv("SPLSUITE_EXPECT_USER_ONLY");
    if (uo && *uo == '1' && !pc.user_only[SPL_PERF_TASK_CLOCK]) { printf("FAIL: task-clock not in user-only scope\n"); fails++; }
    json_object *j = spl_perfctr_json(&pc, 10);
    for (int e = SPL_PERF_INSTRUCTIONS; e <= SPL_PERF_CYCLES; e++) {
        json_object *ev, *r;
        if (!json_object_object_get_ex(j, spl_perf_event_name(e), &ev)) { printf("FAIL: %s missing\n", spl_perf_event_name(e)); fails++; continue; }
        if (pc.supported[e] ? pc.value[e] == 0 : !json_object_object_get_ex(ev, "reason", &r)) {
            printf("FAIL: %s neither counted nor explained\n", spl_perf_event_name(e));
            fails++;
        }
    }
    printf("%s: %s\n", fails ? "FAIL" : "PASS", json_object_to_json_string(j));
    json_object_put(j);
    spl_perfctr_close(&pc);
    return fails ? 1 : 0;
}
