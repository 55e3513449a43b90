/* The reader of external layout A files (spec analogues.md 2.4 A): fixtures written by
 * tests/make_layout_a.py (h5py) with known pixel values and scalars; every bad file is an error
 * naming the file and the dataset. Skipped where /usr/bin/python3 or its h5py is missing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/check.h"
#include "io/layout_a.h"
#include "mpi_test.h"

#define DIR "layout_a_test"
#define SIZE 16
#define WRITER "/usr/bin/python3 " SYNOBS_SOURCE_DIR "/tests/make_layout_a.py"

/* Run the fixture writer into DIR/sub with the given options. */
static void make(const char *sub, const char *options)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, WRITER " --out " DIR "/%s --size %d %s", sub, SIZE, options);
    assert_int_equal(system(cmd), 0);
}

/* The scalars the writer stores for snapshot i, in the order of layout_a_scalar_names. */
static void expected_scalars(int i, double s[LAYOUT_A_NSCALAR])
{
    s[0] = 0.5 * (i + 1);
    s[1] = 1e-6 * (i + 1);
    s[2] = 3000.0 + 10.0 * i;
    s[3] = 3.3e-4 * (i + 1);
    s[4] = 40.0 + i;
    s[5] = 2.5 * (i + 1);
    s[6] = 10 + i;
}

static void expect_error(int rc, const char *what)
{
    assert_int_equal(rc, -1);
    if (strstr(error_message(), what) == NULL) fail_msg("error '%s' does not contain '%s'", error_message(), what);
    error_clear();
}

static void test_layout_a(void **state)
{
    (void)state;
    if (access("/usr/bin/python3", X_OK) != 0 || system("/usr/bin/python3 -c 'import h5py, numpy' >/dev/null 2>&1") != 0) {
        print_message("skipped: /usr/bin/python3 with h5py and numpy is needed to write the layout A fixtures\n");
        skip();
    }
    assert_int_equal(system("rm -rf " DIR " && mkdir -p " DIR), 0);
    make("good", "--n 3 --drop-scalar temperature");
    make("missing", "--n 1 --missing-projection 5");
    make("nofirst", "--n 1 --missing-projection 1");
    make("shape", "--n 1 --bad-shape");
    make("vector", "--n 1 --vector-scalar");
    FILE *fp = fopen(DIR "/notes.h5", "w");
    assert_non_null(fp);
    fputs("not HDF5 at all\n", fp);
    fclose(fp);

    int h = 0, w = 0;
    assert_int_equal(layout_a_probe(DIR "/good/snap_00000.h5", &h, &w), 0);
    assert_int_equal(h, SIZE);
    assert_int_equal(w, SIZE);

    float *images = xmalloc(sizeof(float) * LAYOUT_A_NPROJ * SIZE * SIZE); /* (8, H, W) */
    for (int i = 0; i < 3; i++) {
        char path[256];
        snprintf(path, sizeof path, DIR "/good/snap_%05d.h5", i);
        double s[LAYOUT_A_NSCALAR], want[LAYOUT_A_NSCALAR];
        if (layout_a_read(path, SIZE, SIZE, images, s) != 0) fail_msg("%s", error_message());
        for (int k = 1; k <= LAYOUT_A_NPROJ; k++)
            for (int r = 0; r < SIZE; r++)
                for (int c = 0; c < SIZE; c++) {
                    float v = (float)(1000.0 * i + 100.0 * k + 0.5 * r + 0.01 * c);
                    float got = images[((size_t)(k - 1) * SIZE + r) * SIZE + c];
                    if (memcmp(&got, &v, sizeof v) != 0)
                        fail_msg("%s projection %d (%d, %d): %.9g, not %.9g", path, k, r, c, got, v);
                }
        expected_scalars(i, want);
        if (i == 2) want[2] = NAN; /* temperature left out of the last file: absent is NaN */
        for (int q = 0; q < LAYOUT_A_NSCALAR; q++) {
            if (isnan(want[q])) assert_true(isnan(s[q]));
            else if (s[q] != want[q]) fail_msg("%s %s = %.17g, not %.17g", path, layout_a_scalar_names[q], s[q], want[q]);
        }
    }
    double s[LAYOUT_A_NSCALAR];
    expect_error(layout_a_read(DIR "/missing/snap_00000.h5", SIZE, SIZE, images, s),
                 "missing/snap_00000.h5: intensity_projection_5 is missing");
    expect_error(layout_a_probe(DIR "/nofirst/snap_00000.h5", &h, &w),
                 "nofirst/snap_00000.h5: no dataset intensity_projection_1");
    expect_error(layout_a_read(DIR "/shape/snap_00000.h5", SIZE, SIZE, images, s),
                 "shape/snap_00000.h5: intensity_projection_3 has shape 16 x 15, not 16 x 16");
    expect_error(layout_a_read(DIR "/good/snap_00000.h5", SIZE, SIZE + 1, images, s),
                 "good/snap_00000.h5: intensity_projection_1 has shape 16 x 16, not 16 x 17");
    expect_error(layout_a_read(DIR "/vector/snap_00000.h5", SIZE, SIZE, images, s),
                 "vector/snap_00000.h5: mass is not a scalar: it has 3 elements");
    expect_error(layout_a_probe(DIR "/notes.h5", &h, &w), DIR "/notes.h5: not an HDF5 file");
    expect_error(layout_a_read(DIR "/notes.h5", SIZE, SIZE, images, s), DIR "/notes.h5: not an HDF5 file");
    expect_error(layout_a_probe(DIR "/none.h5", &h, &w), DIR "/none.h5: cannot open");
    expect_error(layout_a_read(DIR "/none.h5", SIZE, SIZE, images, s), DIR "/none.h5: cannot open");
    free(images);
}

static const struct CMUnitTest group[] = {
    cmocka_unit_test(test_layout_a),
};
MPI_TEST_MAIN(group)
