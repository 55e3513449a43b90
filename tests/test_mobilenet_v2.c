/**
 * @file test_mobilenet_v2.c
 * @brief MobileNetV2 (nsfwjs weights, spec analogues.md 9.3) on the reference and oneDNN backends
 * against the reference features of /work/shared/reference/analogues (README there): the four
 * images, GAP at the seven taps and the full maps of out_relu and block_10_project_BN, each within
 * |x - ref| <= 2e-3 + 2e-3 |ref| (the README's tolerance). Also: an unknown tap and a wrong shape
 * are refused with the layer named.
 *
 * The weights: $SYNOBS_WEIGHTS_DIR (default SYNOBS_SOURCE_DIR/weights)/mobilenet_v2_nsfwjs.h5;
 * absent, the test prints why and exits 77 (skipped). The reference file: $SYNOBS_ANALOGUES_REF,
 * default SYNOBS_SOURCE_DIR/../shared/reference/analogues/analogues_reference.h5.
 * The file is read by the project's loader (io/keras_h5.c), as `synobs features` reads it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "core/check.h"
#include "mpi_test.h"
#include "nn/cnn2d.h"

static char weights_path[1024], ref_path[1024];
static const char *const images[4] = {"rand_u01_seed0", "binary_spiral", "ramp_xy", "const_half"};
static const char *const taps[7] = {"block_5_add", "block_9_add", "block_10_depthwise_relu", "block_10_project_BN",
                                    "block_12_add", "block_16_project_BN", "out_relu"};
static const double ATOL = 2e-3, RTOL = 2e-3;

/* ---- the reference ---- */

static float *read_ref(hid_t f, const char *path, size_t n)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0) fail_msg("%s: no dataset %s", ref_path, path);
    hid_t s = H5Dget_space(d);
    assert_int_equal((size_t)H5Sget_simple_extent_npoints(s), n);
    float *v = xmalloc(n * sizeof *v);
    H5_CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    H5Sclose(s);
    H5Dclose(d);
    return v;
}

/* max |d| and max |d| / (atol + rtol |ref|) */
static void err(const float *got, const float *want, size_t n, double *maxd, double *ratio)
{
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]), t = ATOL + RTOL * fabs(want[i]);
        if (d > *maxd) *maxd = d;
        if (d / t > *ratio) *ratio = d / t;
    }
}

static int mode(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("SYNOBS_WEIGHTS_DIR");
    snprintf(weights_path, sizeof weights_path, "%s/mobilenet_v2_nsfwjs.h5", dir ? dir : SYNOBS_SOURCE_DIR "/weights");
    const char *ref = getenv("SYNOBS_ANALOGUES_REF");
    snprintf(ref_path, sizeof ref_path, "%s", ref ? ref : SYNOBS_SOURCE_DIR "/../shared/reference/analogues/analogues_reference.h5");
    if (access(weights_path, R_OK)) {
        printf("SKIP test_mobilenet_v2: no weights file %s (spec analogues.md 9.1 says how to make it)\n", weights_path);
        return 77;
    }
    if (access(ref_path, R_OK)) {
        printf("SKIP test_mobilenet_v2: no reference file %s\n", ref_path);
        return 77;
    }
    return -1;
}

static void test_against_reference(void **state)
{
    (void)state;
    kh5_weights w = {0};
    if (kh5_read(weights_path, &w) != 0) fail_msg("%s", error_message());
    hid_t f = H5Fopen(ref_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    size_t npix = 224 * 224 * 3;
    float *x = xmalloc(4 * npix * sizeof *x);
    for (int i = 0; i < 4; i++) {
        char p[128];
        snprintf(p, sizeof p, "/images/%s", images[i]);
        float *im = read_ref(f, p, npix);
        memcpy(x + i * npix, im, npix * sizeof *x);
        free(im);
    }
    int ok = 1;
    for (int be = 0; be < 2; be++) {
        const char *bname = be ? "dnnl" : "ref";
        for (int t = 0; t < 7; t++) {
            cnn2d_model *m = cnn2d_mobilenet_v2(&w, 224, 224, taps[t], be);
            if (!m) fail_msg("%s", error_message());
            if (be) cnn2d_set_batch(m, 4);
            int th, tw, tc;
            cnn2d_tap_shape(m, &th, &tw, &tc);
            float *gap = xmalloc(4 * (size_t)tc * sizeof *gap);
            cnn2d_features(m, 4, x, CNN2D_GAP, gap);
            double maxd = 0, ratio = 0;
            for (int i = 0; i < 4; i++) {
                char p[160];
                snprintf(p, sizeof p, "/mobilenet_v2/%s/gap/%s", images[i], taps[t]);
                float *want = read_ref(f, p, (size_t)tc);
                err(gap + (size_t)i * tc, want, (size_t)tc, &maxd, &ratio);
                free(want);
            }
            printf("  %-4s gap %-24s %2dx%2dx%4d  max |d| %.2e  max |d|/tol %.3f%s\n", bname, taps[t], th, tw, tc, maxd,
                   ratio, ratio <= 1 ? "" : "  FAIL");
            ok &= ratio <= 1;
            if (!strcmp(taps[t], "out_relu") || !strcmp(taps[t], "block_10_project_BN")) {
                size_t nm = (size_t)th * tw * tc;
                float *map = xmalloc(4 * nm * sizeof *map);
                cnn2d_forward(m, 4, x, map);
                maxd = ratio = 0;
                for (int i = 0; i < 4; i++) {
                    char p[160];
                    snprintf(p, sizeof p, "/mobilenet_v2/%s/map/%s", images[i], taps[t]);
                    float *want = read_ref(f, p, nm);
                    err(map + (size_t)i * nm, want, nm, &maxd, &ratio);
                    free(want);
                }
                printf("  %-4s map %-24s %2dx%2dx%4d  max |d| %.2e  max |d|/tol %.3f%s\n", bname, taps[t], th, tw, tc,
                       maxd, ratio, ratio <= 1 ? "" : "  FAIL");
                ok &= ratio <= 1;
                free(map);
            }
            free(gap);
            cnn2d_free(m);
        }
    }
    H5Fclose(f);
    free(x);
    kh5_free(&w);
    assert_true(all_true(ok));
}

static void test_refusals(void **state)
{
    (void)state;
    kh5_weights w = {0};
    if (kh5_read(weights_path, &w) != 0) fail_msg("%s", error_message());
    error_clear();
    assert_null(cnn2d_mobilenet_v2(&w, 224, 224, "block_99_add", CNN2D_BACKEND_REF));
    printf("  unknown tap: %s\n", error_message());
    assert_non_null(strstr(error_message(), "block_99_add"));
    /* a wrong shape: block_3_expand's kernel claimed [1,1,24,145] */
    for (int i = 0; i < w.nlayers; i++)
        if (!strcmp(w.layers[i].name, "block_3_expand")) w.layers[i].t[0].shape[3] = 145;
    error_clear();
    assert_null(cnn2d_mobilenet_v2(&w, 224, 224, NULL, CNN2D_BACKEND_REF));
    printf("  wrong shape: %s\n", error_message());
    assert_non_null(strstr(error_message(), "block_3_expand"));
    /* a missing layer */
    for (int i = 0; i < w.nlayers; i++) {
        if (!strcmp(w.layers[i].name, "block_3_expand")) w.layers[i].t[0].shape[3] = 144;
        if (!strcmp(w.layers[i].name, "Conv_1_bn")) strcpy(w.layers[i].name, "Conv_1_bn_renamed");
    }
    error_clear();
    assert_null(cnn2d_mobilenet_v2(&w, 224, 224, "out_relu", CNN2D_BACKEND_REF));
    printf("  missing layer: %s\n", error_message());
    assert_non_null(strstr(error_message(), "Conv_1_bn"));
    /* a tap before it still builds */
    cnn2d_model *m = cnn2d_mobilenet_v2(&w, 224, 224, "block_16_project_BN", CNN2D_BACKEND_REF);
    assert_non_null(m);
    cnn2d_free(m);
    kh5_free(&w);
}

static const struct CMUnitTest group[] = {cmocka_unit_test(test_refusals), cmocka_unit_test(test_against_reference)};

MPI_TEST_MAIN_WITH_MODE(group, mode)
