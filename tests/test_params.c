/* Parameter files: every class of error names source:line and the key; values resolve with defaults. */
#include <string.h>

#include "core/check.h"
#include "core/params.h"
#include "mpi_test.h"

static const param_decl decls[] = {
    {"stats", "input", PARAM_STRING, NULL, 0, 0, NULL, "", "input"},
    {"stats", "chunk_samples", PARAM_INT, "32", 1, 1000, NULL, "samples", "chunk"},
    {"stats", "scale", PARAM_REAL, "1.5", 0, 10, NULL, "", "scale"},
    {"stats", "verbose", PARAM_BOOL, "false", 0, 0, NULL, "", "verbose"},
    {"stats", "nonfinite", PARAM_CHOICE, "error", 0, 0, "error|skip", "", "nan policy"},
    {"train", "steps", PARAM_INT, NULL, 1, 1e9, NULL, "", "steps"},
    PARAM_END};
static const param_decl *const tables[] = {decls, NULL};
static const char *const stats_only[] = {"stats", NULL};

/* Parse text; expect failure whose message contains every given fragment. */
static void expect_error(const char *text, const char *frag1, const char *frag2)
{
    params *ps = params_new(tables);
    error_clear();
    int rc = params_parse_text(ps, text, "f.par");
    if (rc == 0) rc = params_check_required(ps, stats_only, "stage stats");
    assert_int_equal(rc, -1);
    const char *m = error_message();
    if (!strstr(m, frag1) || (frag2 && !strstr(m, frag2))) fail_msg("message '%s' lacks '%s' / '%s'", m, frag1, frag2 ? frag2 : "");
    assert_null(strchr(m, '\n')); /* one line */
    params_free(ps);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("[nope]\nx = 1\n", "f.par:1", "unknown section [nope]");
    expect_error("[stats]\ninput = a\nchunk_sample = 3\n", "f.par:3", "did you mean 'chunk_samples'");
    expect_error("[stats]\ninput = a\nzzz = 3\n", "f.par:3", "unknown key 'zzz'");
    expect_error("[stats]\ninput = a\nchunk_samples = 3x\n", "f.par:3", "not an integer");
    expect_error("[stats]\ninput = a\nchunk_samples = 0\n", "f.par:3", "out of range");
    expect_error("[stats]\ninput = a\nscale = abc\n", "f.par:3", "not a finite real");
    expect_error("[stats]\ninput = a\nscale = nan\n", "f.par:3", "not a finite real");
    expect_error("[stats]\ninput = a\nscale = 11\n", "f.par:3", "out of range");
    expect_error("[stats]\ninput = a\nverbose = maybe\n", "f.par:3", "not a bool");
    expect_error("[stats]\ninput = a\nnonfinite = drop\n", "f.par:3", "not one of error|skip");
    expect_error("[stats]\ninput = a\n\n# comment\ninput = b\n", "f.par:5", "duplicate key 'input' in [stats] (first set at f.par:2)");
    expect_error("[stats]\ninput\n", "f.par:2", "expected 'key = value'");
    expect_error("input = a\n", "f.par:1", "before any [section]");
    expect_error("[stats\ninput = a\n", "f.par:1", "malformed section");
    expect_error("[stats]\nchunk_samples = 4\n", "missing required key 'input' in [stats]", NULL);
    expect_error("[stats]\ninput =\n", "f.par:2", "empty");
}

static void test_resolve_and_override(void **state)
{
    (void)state;
    params *ps = params_new(tables);
    error_clear();
    assert_int_equal(params_parse_text(ps, "# campaign\n[stats]\ninput = data/*.h5  # glob\nverbose = yes\n\n[train]\nsteps = 5\n", "a.par"), 0);
    assert_int_equal(params_check_required(ps, stats_only, "stats"), 0);
    assert_string_equal(params_string(ps, "stats", "input"), "data/*.h5");
    assert_int_equal(params_int(ps, "stats", "chunk_samples"), 32);
    assert_true(params_bool(ps, "stats", "verbose"));
    assert_true(params_real(ps, "stats", "scale") == 1.5);
    assert_int_equal(params_override(ps, "stats.chunk_samples=64"), 0);
    assert_int_equal(params_int(ps, "stats", "chunk_samples"), 64);
    assert_int_equal(params_override(ps, "stats:nonfinite=skip"), 0);
    assert_int_equal(params_override(ps, "stats.chunk_samples=-3"), -1);
    assert_non_null(strstr(error_message(), "-P stats.chunk_samples=-3"));
    error_clear();
    assert_int_equal(params_override(ps, "nodot=3"), -1);
    error_clear();
    /* the resolved text holds defaults and origins, and parses back to the same values */
    char *text = params_resolved_text(ps, stats_only);
    assert_non_null(strstr(text, "scale = 1.5  # default"));
    assert_non_null(strstr(text, "input = data/*.h5  # a.par:3"));
    assert_non_null(strstr(text, "steps = 5"));
    params *again = params_new(tables);
    assert_int_equal(params_parse_text(again, text, "resolved"), 0);
    assert_int_equal(params_int(again, "stats", "chunk_samples"), 64);
    assert_string_equal(params_string(again, "stats", "nonfinite"), "skip");
    free(text);
    params_free(again);
    params_free(ps);
}

static void test_missing_file(void **state)
{
    (void)state;
    params *ps = params_new(tables);
    error_clear();
    assert_int_equal(params_parse_file(ps, "/nonexistent/x.par"), -1);
    assert_non_null(strstr(error_message(), "/nonexistent/x.par: cannot open"));
    params_free(ps);
}

static const struct CMUnitTest group[] = {
    cmocka_unit_test(test_errors),
    cmocka_unit_test(test_resolve_and_override),
    cmocka_unit_test(test_missing_file),
};
MPI_TEST_MAIN(group)
