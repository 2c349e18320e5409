/*
 * test_rules.c - the rule table and --rules selection, without running a
 * rule: every row is complete and its id unique and in its family; the
 * globs select what --help says they do (ids, fnmatch patterns, bare family
 * names, lists with spaces) and nothing more (SEQ does not select SEQX-1,
 * ELE-00 does not select ELE-001).
 */
#include "conform.h"
#include "helpers.h"

#include <ctype.h>

TEST(table)
{
    conform_rules_init();
    CHECK(conform_nrules > 0, "no rules");
    for (size_t i = 0; i < conform_nrules; i++) {
        const struct rule *r = &conform_rules[i];
        CHECK(r->id && strlen(r->id) >= 5 && strchr(r->id, '-'), "rule %zu: id %s", i, r->id ? r->id : "(null)");
        if (!r->id) continue;
        const char *dash = strchr(r->id, '-');
        bool fam = dash && dash > r->id;
        for (const char *p = r->id; fam && p < dash; p++) fam = isupper((unsigned char)*p);
        for (const char *p = dash ? dash + 1 : ""; fam && *p; p++) fam = isdigit((unsigned char)*p);
        CHECK(fam, "%s: not FAMILY-NNN", r->id);
        CHECK(rule_severity_name(r->severity) != NULL, "%s: no severity", r->id);
        CHECK(r->title && *r->title, "%s: no title", r->id);
        CHECK(r->run != NULL, "%s: no run", r->id);
        CHECK(r->needs != NULL, "%s: no list of the functions it calls", r->id);
        CHECK(r->timeout_s > 0, "%s: no deadline", r->id);
        for (size_t j = 0; j < i; j++) CHECK(strcmp(conform_rules[j].id, r->id) != 0, "%s: listed twice", r->id);
        CHECK(conform_rule_selected(r->id, r->id), "%s does not select itself", r->id);
    }
}

TEST(selection)
{
    static const struct { const char *globs, *id; bool want; } q[] = {
        {NULL, "SEQ-001", true},
        {"", "SEQ-001", true},
        {"SEQ-001", "SEQ-001", true},
        {"SEQ-001", "SEQ-002", false},
        {"SEQ", "SEQ-001", true},
        {"SEQ", "SEQX-001", false},
        {"SE", "SEQ-001", false},
        {"SEQ-*", "SEQ-007", true},
        {"SEQ-*", "EPO-001", false},
        {"ELE-00", "ELE-001", false},
        {"ELE-00?", "ELE-001", true},
        {"*-003", "BUS-003", true},
        {"API,SEC-001", "SEC-001", true},
        {"API,SEC-001", "API-007", true},
        {"API,SEC-001", "SEC-002", false},
        {"API, SEC-001", "SEC-001", true},
        {",,SEQ-001,", "SEQ-001", true},
        {",", "SEQ-001", false},
        {"seq", "SEQ-001", false},
        {"[SE]EQ-001", "SEQ-001", true},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++)
        CHECK(conform_rule_selected(q[i].id, q[i].globs) == q[i].want, "--rules '%s' on %s: want %s",
              q[i].globs ? q[i].globs : "(none)", q[i].id, q[i].want ? "selected" : "not selected");
}

int main(void)
{
    RUN(table);
    RUN(selection);
    return T_DONE("rule table and selection");
}
