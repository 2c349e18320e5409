/* a rule that says it needs a and b but calls only a */
static void rule_fix001(struct conform *c, struct rule_out *o) { c->im.a("k"); (void)o; }
static const char *const needs_fix[] = {"a", "b", NULL};
const struct rule fix_rules[] = {
    {.id = "FIX-001", .severity = SEV_MINOR, .title = "fixture", .needs = needs_fix, .run = rule_fix001, .timeout_s = 1},
};
