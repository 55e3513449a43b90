/* LAMDA reader: the CO file's tables, and malformed files rejected with file:line and the problem. */
#include <stdio.h>
#include <string.h>

#include "core/check.h"
#include "io/lamda.h"
#include "mpi_test.h"

static const char *good_head = "!MOLECULE\nCO\n!WEIGHT\n28.0\n!NLEV\n3\n!LEVELS\n"
                               "1 0.0 1.0 0\n2\t3.845033413\t3.0\t1\n3 11.534919938 5.0 2\n"
                               "!NRAD\n2\n!TRANS\n1 2 1 7.203e-08 115.2712018 5.53\n2 3 2 6.910e-07 230.5380000 16.60\n"
                               "!COLLISIONS follow and are not read\nnonsense here\n";

/* Write `text` to a file and read it; return the error message ("" if it was accepted). */
static const char *try_read(const char *text)
{
    static char msg[512];
    FILE *f = fopen("lamda_test.dat", "w");
    fputs(text, f);
    fclose(f);
    lamda_data d;
    error_clear();
    int rc = lamda_read("lamda_test.dat", &d);
    snprintf(msg, sizeof msg, "%s", rc ? error_message() : "");
    if (!rc) lamda_free(&d);
    error_clear();
    return msg;
}

static void expect(const char *text, const char *where, const char *what)
{
    const char *m = try_read(text);
    print_message("  %s\n", m);
    if (!strstr(m, where) || !strstr(m, what)) fail_msg("expected '%s' and '%s' in: '%s'", where, what, m);
}

static void test_good_and_shipped(void **state)
{
    (void)state;
    assert_string_equal(try_read(good_head), "");
    lamda_data d;
    assert_int_equal(lamda_read(SYNOBS_SOURCE_DIR "/inputs/co.dat", &d), 0);
    assert_int_equal(d.nlev, 41);
    assert_int_equal(d.nrad, 40);
    assert_int_equal(d.upper[1], 2);
    assert_int_equal(d.lower[1], 1);
    assert_true(d.frequency[1] == 230.538e9);
    assert_true(d.weight[40] == 81.0);
    lamda_free(&d);
}

static void test_malformed(void **state)
{
    (void)state;
    char buf[2048];
    expect("", "lamda_test.dat:1:", "molecule name");
    expect("CO\n28.0\nthree\n", "lamda_test.dat:3:", "number of energy levels");
    expect("CO\n28.0\n3\n1 0.0 1.0 0\n2 3.8 3.0 1\n", "lamda_test.dat:5:", "level table ends early");
    expect("CO\n28.0\n2\n1 0.0 1.0 0\n3 3.8 3.0 1\n", "lamda_test.dat:5:", "level indices");
    expect("CO\n28.0\n2\n1 0.0 1.0 0\n2 3.8 x 1\n", "lamda_test.dat:5:", "index energy");
    snprintf(buf, sizeof buf, "%s", good_head);
    char *p = strstr(buf, "2 3 2 6.910e-07");
    p[2] = '4'; /* upper level 4 of 3 */
    expect(buf, "lamda_test.dat:15:", "upper and lower levels");
    snprintf(buf, sizeof buf, "%s", good_head);
    p = strstr(buf, "1 2 1 7.203e-08");
    memcpy(p, "1 1 2", 5); /* upper below lower */
    expect(buf, "lamda_test.dat:14:", "upper level must lie above");
    expect("CO\n28.0\n2\n1 0.0 1.0 0\n2 3.8 3.0 1\n1\n1 2 1 -1.0 115.27 5.5\n", "lamda_test.dat:7:", "Einstein A");
    lamda_data d;
    assert_int_equal(lamda_read("/nonexistent/co.dat", &d), -1);
    assert_non_null(strstr(error_message(), "/nonexistent/co.dat: cannot open"));
    error_clear();
}

static const struct CMUnitTest group[] = {cmocka_unit_test(test_good_and_shipped), cmocka_unit_test(test_malformed)};
MPI_TEST_MAIN(group)
