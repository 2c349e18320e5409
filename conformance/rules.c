/*
 * rules.c - the rule table, in the order of docs/spec.md.
 */
#include "conform.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAMILY(f) extern const struct rule f##_rules[]; extern const size_t f##_nrules;
FAMILY(fmt) FAMILY(seq) FAMILY(epo) FAMILY(sig) FAMILY(bus) FAMILY(ele) FAMILY(api) FAMILY(sec) FAMILY(dur)
FAMILY(bus2) FAMILY(ele2) FAMILY(api2) FAMILY(err) FAMILY(scr) FAMILY(res) /* issue 11: each remaining function, errors, scrubbing, resources */
FAMILY(lin) FAMILY(atm) FAMILY(wak) FAMILY(dwr) FAMILY(lcy) /* issue 12: multi-process histories */
#undef FAMILY

const char *rule_severity_name(enum rule_severity s)
{
    switch (s) {
    case SEV_CRITICAL: return "critical";
    case SEV_MAJOR: return "major";
    case SEV_MINOR: return "minor";
    }
    return NULL;
}

bool conform_rule_selected(const char *id, const char *globs)
{
    if (!globs || !*globs) return true;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", globs);
    char *save = NULL;
    for (char *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        while (*g == ' ') g++;
        if (!fnmatch(g, id, 0)) return true;
        size_t n = strlen(g); /* a bare family name selects the family */
        if (n && !strncmp(id, g, n) && id[n] == '-') return true;
    }
    return false;
}

struct rule conform_rules[512];
size_t conform_nrules;

static void add(const struct rule *r, size_t n)
{
    /* a rule dropped here would silently never run: refuse to start instead */
    if (n > sizeof conform_rules / sizeof conform_rules[0] - conform_nrules) {
        fprintf(stderr, "splsuite conform: more than %zu rules: raise conform_rules[] in conformance/rules.c\n",
                sizeof conform_rules / sizeof conform_rules[0]);
        abort();
    }
    for (size_t i = 0; i < n; i++) conform_rules[conform_nrules++] = r[i];
}

void conform_rules_init(void)
{
    if (conform_nrules) return;
    add(fmt_rules, fmt_nrules);
    add(seq_rules, seq_nrules);
    add(lin_rules, lin_nrules);
    add(atm_rules, atm_nrules);
    add(wak_rules, wak_nrules);
    add(dwr_rules, dwr_nrules);
    add(lcy_rules, lcy_nrules);
    add(epo_rules, epo_nrules);
    add(sig_rules, sig_nrules);
    add(bus_rules, bus_nrules);
    add(bus2_rules, bus2_nrules);
    add(ele_rules, ele_nrules);
    add(ele2_rules, ele2_nrules);
    add(api_rules, api_nrules);
    add(api2_rules, api2_nrules);
    add(err_rules, err_nrules);
    add(scr_rules, scr_nrules);
    add(sec_rules, sec_nrules);
    add(res_rules, res_nrules);
    add(dur_rules, dur_nrules);
}
