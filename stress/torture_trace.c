/*
 * torture_trace.c - `splsuite torture --trace`: the eBPF probes of
 * `splsuite trace` (madvise, eventfd, the splinter_madvise uprobe) on the
 * supervisor and everything it forks, reported after the verdict.
 *
 * stress/ is configured before bpf/, so it cannot depend on the probe
 * library at build time. The three entry points are weak references
 * instead: when splsuite links the bpf part they resolve to it, otherwise
 * they are NULL and --trace says the part is missing.
 */
#include "torture.h"

#include "../bpf/trace_embed.h"

#pragma weak spl_trace_start_self
#pragma weak spl_trace_stop
#pragma weak spl_trace_print_kernel

struct spl_trace *tt_trace_start(const struct tt_ctx *c)
{
    if (!spl_trace_start_self || !spl_trace_stop || !spl_trace_print_kernel) {
        fprintf(stderr, "splsuite torture: --trace: this splsuite was built without the bpf part (splsuite trace); "
                        "going on without kernel-side figures\n");
        return NULL;
    }
    const char *paths[1] = {c->im.path};
    return spl_trace_start_self("torture", paths, 1);
}

json_object *tt_trace_stop(struct spl_trace *t, FILE *text)
{
    if (!t) return NULL;
    json_object *k = spl_trace_stop(t);
    if (k && text) spl_trace_print_kernel(k, text);
    return k;
}
