/* The statistics file: what stats writes, the preprocessing reads back unchanged; a file lacking
 * a group or attribute is an error naming both. */
#include <hdf5.h>
#include <string.h>

#include "core/check.h"
#include "io/statsfile.h"
#include "mpi_test.h"

static void test_round_trip(void **state)
{
    (void)state;
    stat_summary s[NSTAT], back[NSTAT];
    for (int q = 0; q < NSTAT; q++)
        s[q] = (stat_summary){1000u + (uint64_t)q, (uint64_t)q, 1.0 / (q + 3), 2.0 / (q + 7), -q - 0.5, q + 0.25,
                              0.125 * q, 0.126 * q};
    assert_int_equal(statsfile_write("statsfile_test.h5", s, "in.h5", 12, 16, 7, 4, "[stats]\ninput = in.h5\n"), 0);
    error_clear();
    assert_int_equal(statsfile_read("statsfile_test.h5", back), 0);
    for (int q = 0; q < NSTAT; q++) {
        assert_int_equal(back[q].count, s[q].count);
        assert_int_equal(back[q].skipped, s[q].skipped);
        assert_memory_equal(&back[q].mean, &s[q].mean, 6 * sizeof(double));
    }
    /* remove one attribute: the reader names the file, the group and the attribute */
    hid_t f = H5Fopen("statsfile_test.h5", H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = H5Gopen2(f, "log_T", H5P_DEFAULT);
    H5Adelete(g, "median");
    H5Gclose(g);
    H5Fclose(f);
    assert_int_equal(statsfile_read("statsfile_test.h5", back), -1);
    assert_non_null(strstr(error_message(), "statsfile_test.h5: group 'log_T' lacks the attribute median"));
    error_clear();
    assert_int_equal(statsfile_read("no_such_stats.h5", back), -1);
    assert_non_null(strstr(error_message(), "no_such_stats.h5"));
}

static const struct CMUnitTest group[] = {
    cmocka_unit_test(test_round_trip),
};
MPI_TEST_MAIN(group)
