/* coverage.py must fail on this fixture: splinter_b has no rule, and FIX-001
 * lists b in .needs without calling it. */
int splinter_a(const char *key);
int splinter_b(const char *key);
