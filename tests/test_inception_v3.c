/**
 * @file test_inception_v3.c
 * @brief Keras InceptionV3 (nsfwjs weights, src/nn/cnn2d_inception.c) on the reference and oneDNN
 * backends against an independent implementation: tests/make_inception_v3_fixture.py walks the
 * Keras topology JSON stored in the weight file with torch.nn.functional ops in float64 and
 * writes GAP features of two 299 x 299 images (a seeded random image and a smooth ramp) at twelve
 * layers from conv2d_1 to mixed10 (mixed5 the default tap, mixed10 the trunk's end), compared at
 * |x - ref| <= 2e-3 + 2e-3 |ref| (spec analogues.md's CNN tolerance). The two backends are also
 * compared with each other on the whole mixed5 and mixed10 maps (see BACKEND_TOL). Also: the
 * shapes and layer counts of the built models, and refusals (unknown tap, wrong shape, missing
 * layer, too small an input) naming what is wrong.
 *
 * The weights: $SYNOBS_WEIGHTS_DIR (default SYNOBS_SOURCE_DIR/weights)/inception_v3_nsfwjs.h5
 * (validation/tools/fetch_weights.sh weights makes it); the fixture: $SYNOBS_INCEPTION_FIXTURE
 * (default inception_v3_fixture.h5 in the working directory). Either absent, the test prints why
 * and exits 77 (skipped).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "core/check.h"
#include "io/h5util.h"
#include "mpi_test.h"
#include "nn/cnn2d_inception.h"

static char weights_path[1024], fixture_path[1024];
enum { NIMG = 2, SIDE = 299 };
static const char *const taps[] = {"conv2d_1", "batch_normalization_5", "max_pooling2d_2", "mixed0",
                                   "average_pooling2d_4", "mixed3", "activation_40", "mixed5",
                                   "mixed8", "mixed9_1", "concatenate_2", "mixed10"};
enum { NTAPS = sizeof taps / sizeof taps[0] };
static const double ATOL = 2e-3, RTOL = 2e-3;
/*
 * oneDNN against the reference on whole maps: both are float32 per layer (the reference sums in
 * double and rounds once, oneDNN accumulates in float32: relative K u with K <= 3*3*448 = 4032,
 * u = 2^-24, about 2.4e-4 in the worst case per layer, far less in practice as errors are not
 * aligned); over the ~20 conv layers between the input and mixed10 the differences stay a few
 * 1e-5 of the map's scale. The bound: 1e-4 (atol, the maps are O(1)) + 1e-3 |ref|.
 */
static const double BACKEND_ATOL = 1e-4, BACKEND_RTOL = 1e-3;

static int mode(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("SYNOBS_WEIGHTS_DIR");
    snprintf(weights_path, sizeof weights_path, "%s/inception_v3_nsfwjs.h5", dir ? dir : SYNOBS_SOURCE_DIR "/weights");
    const char *fx = getenv("SYNOBS_INCEPTION_FIXTURE");
    snprintf(fixture_path, sizeof fixture_path, "%s", fx ? fx : "inception_v3_fixture.h5");
    if (access(weights_path, R_OK)) {
        printf("SKIP test_inception_v3: no weights file %s (validation/tools/fetch_weights.sh weights makes it)\n",
               weights_path);
        return 77;
    }
    if (access(fixture_path, R_OK)) {
        printf("SKIP test_inception_v3: no fixture %s (tests/make_inception_v3_fixture.py writes it; it needs torch "
               "and h5py)\n", fixture_path);
        return 77;
    }
    return -1;
}

static double *read_f64(hid_t f, const char *path, size_t n)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0) fail_msg("%s: no dataset %s", fixture_path, path);
    hid_t s = H5Dget_space(d);
    assert_int_equal((size_t)H5Sget_simple_extent_npoints(s), n);
    double *v = xmalloc(n * sizeof *v);
    H5_CHECK(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    H5Sclose(s);
    H5Dclose(d);
    return v;
}

/* max |d| and max |d| / (atol + rtol |ref|) */
static void err(const float *got, const double *want, size_t n, double atol, double rtol, double *maxd, double *ratio)
{
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]), t = atol + rtol * fabs(want[i]);
        if (d > *maxd) *maxd = d;
        if (d / t > *ratio) *ratio = d / t;
    }
}

static void load(kh5_weights *w)
{
    if (kh5_read(weights_path, w) != 0) fail_msg("%s", error_message());
}

static void test_shapes_and_refusals(void **state)
{
    (void)state;
    kh5_weights w;
    load(&w);
    static const struct { const char *tap; int h, w, c, nlayers; } want[] = {
        {"conv2d_1", 149, 149, 32, 2},       {"batch_normalization_1", 149, 149, 32, 2},
        {"max_pooling2d_2", 35, 35, 192, 8}, {"mixed0", 35, 35, 256, 17},
        {NULL, 17, 17, 768, 65},             {"mixed10", 8, 8, 2048, 123},
        {"mixed9_1", 8, 8, 768, 114},        {"activation_94", 8, 8, 192, 112}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        error_clear();
        cnn2d_model *m = cnn2d_inception_v3(&w, SIDE, SIDE, want[i].tap, CNN2D_BACKEND_REF);
        if (!m) fail_msg("%s", error_message());
        int h, wd, c;
        cnn2d_tap_shape(m, &h, &wd, &c);
        printf("  %-22s %3dx%3dx%4d, %3d layers\n", want[i].tap ? want[i].tap : "(default: mixed5)", h, wd, c, m->nlayers);
        assert_int_equal(h, want[i].h);
        assert_int_equal(wd, want[i].w);
        assert_int_equal(c, want[i].c);
        assert_int_equal(m->nlayers, want[i].nlayers);
        assert_string_equal(m->layers[m->nlayers - 1].name, want[i].tap ? want[i].tap : "mixed5");
        cnn2d_free(m);
    }
    error_clear();
    assert_null(cnn2d_inception_v3(&w, SIDE, SIDE, "mixed11", CNN2D_BACKEND_REF));
    printf("  unknown tap: %s\n", error_message());
    assert_non_null(strstr(error_message(), "mixed11"));
    error_clear();
    assert_null(cnn2d_inception_v3(&w, 74, 299, NULL, CNN2D_BACKEND_REF));
    printf("  small input: %s\n", error_message());
    assert_non_null(strstr(error_message(), "74x299"));
    kh5_layer *l = (kh5_layer *)kh5_layer_find(&w, "conv2d_30");
    assert_non_null(l);
    l->t[0].shape[3] += 1;
    error_clear();
    assert_null(cnn2d_inception_v3(&w, SIDE, SIDE, "mixed5", CNN2D_BACKEND_REF));
    printf("  wrong shape: %s\n", error_message());
    assert_non_null(strstr(error_message(), "conv2d_30"));
    /* a tap that does not depend on it still builds */
    cnn2d_model *m = cnn2d_inception_v3(&w, SIDE, SIDE, "mixed2", CNN2D_BACKEND_REF);
    assert_non_null(m);
    cnn2d_free(m);
    l->t[0].shape[3] -= 1;
    l = (kh5_layer *)kh5_layer_find(&w, "batch_normalization_70");
    snprintf(l->name, sizeof l->name, "renamed");
    error_clear();
    assert_null(cnn2d_inception_v3(&w, SIDE, SIDE, "mixed10", CNN2D_BACKEND_REF));
    printf("  missing layer: %s\n", error_message());
    assert_non_null(strstr(error_message(), "batch_normalization_70"));
    kh5_free(&w);
}

static void test_against_torch(void **state)
{
    (void)state;
    kh5_weights w;
    load(&w);
    hid_t f = H5Fopen(fixture_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    char sha[80] = "";
    h5_attr_read_string(f, "weights_sha256", sha, sizeof sha);
    if (strcmp(sha, w.sha256) != 0)
        fail_msg("%s was made from weights of sha256 %s, not %s's %s: run tests/make_inception_v3_fixture.py again",
                 fixture_path, sha, weights_path, w.sha256);
    size_t npix = (size_t)SIDE * SIDE * 3;
    double *xd = read_f64(f, "/images", NIMG * npix);
    float *x = xmalloc(NIMG * npix * sizeof *x);
    for (size_t i = 0; i < NIMG * npix; i++) x[i] = (float)xd[i];
    free(xd);
    int ok = 1;
    float *maps[2][2] = {{NULL}}; /* [backend][mixed5, mixed10] */
    for (int be = 0; be < 2; be++) {
        const char *bname = be ? "dnnl" : "ref";
        for (int t = 0; t < NTAPS; t++) {
            cnn2d_model *m = cnn2d_inception_v3(&w, SIDE, SIDE, taps[t], be);
            if (!m) fail_msg("%s", error_message());
            cnn2d_set_batch(m, NIMG);
            int th, tw, tc;
            cnn2d_tap_shape(m, &th, &tw, &tc);
            float *gap = xmalloc(NIMG * (size_t)tc * sizeof *gap);
            int which = !strcmp(taps[t], "mixed5") ? 0 : !strcmp(taps[t], "mixed10") ? 1 : -1;
            if (which >= 0) {
                size_t nm = (size_t)th * tw * tc;
                float *map = maps[be][which] = xmalloc(NIMG * nm * sizeof *map);
                cnn2d_forward(m, NIMG, x, map);
                for (int i = 0; i < NIMG; i++)
                    for (int c = 0; c < tc; c++) {
                        double s = 0;
                        for (size_t p = 0; p < (size_t)th * tw; p++) s += map[(size_t)i * nm + p * tc + c];
                        gap[(size_t)i * tc + c] = (float)(s / (th * tw));
                    }
            } else cnn2d_features(m, NIMG, x, CNN2D_GAP, gap);
            char p[96];
            snprintf(p, sizeof p, "/gap/%s", taps[t]);
            double *want = read_f64(f, p, NIMG * (size_t)tc);
            double maxd = 0, ratio = 0;
            err(gap, want, NIMG * (size_t)tc, ATOL, RTOL, &maxd, &ratio);
            printf("  %-4s gap %-22s %3dx%3dx%4d  max |d| %.2e  max |d|/tol %.4f%s\n", bname, taps[t], th, tw, tc, maxd,
                   ratio, ratio <= 1 ? "" : "  FAIL");
            fflush(stdout);
            ok &= ratio <= 1;
            free(want);
            free(gap);
            cnn2d_free(m);
        }
    }
    for (int k = 0; k < 2; k++) {
        size_t nm = k ? (size_t)8 * 8 * 2048 : (size_t)17 * 17 * 768;
        double *ref = xmalloc(NIMG * nm * sizeof *ref), maxd = 0, ratio = 0;
        for (size_t i = 0; i < NIMG * nm; i++) ref[i] = maps[0][k][i];
        err(maps[1][k], ref, NIMG * nm, BACKEND_ATOL, BACKEND_RTOL, &maxd, &ratio);
        printf("  dnnl vs ref map %-8s max |d| %.2e  max |d|/tol %.4f%s\n", k ? "mixed10" : "mixed5", maxd, ratio,
               ratio <= 1 ? "" : "  FAIL");
        ok &= ratio <= 1;
        free(ref);
        free(maps[0][k]);
        free(maps[1][k]);
    }
    H5Fclose(f);
    free(x);
    kh5_free(&w);
    assert_true(all_true(ok));
}

static const struct CMUnitTest group[] = {cmocka_unit_test(test_shapes_and_refusals), cmocka_unit_test(test_against_torch)};

MPI_TEST_MAIN_WITH_MODE(group, mode)
