/**
 * @file test_keras_models.c
 * @brief VGG16, VGG19 and DenseNet121 (nn/cnn2d_keras.h) with random weights against torchvision
 * (spec analogues.md 9.5, test 2), on the reference and oneDNN backends, at 64x64 and 224x224.
 *
 * validation/keras_vs_torchvision.py (run first, before MPI, into ./keras_models) writes the
 * weights in the Keras layouts (vgg16: TF-Keras 2 names; vgg19: the old `_W_1:0` names;
 * densenet121: TF-Keras 2 names with the stem's old `conv1/conv` '/'-names) and the inputs, already
 * in the model's convention, with torchvision's trunk GAP (and DenseNet's softmax predictions).
 * Each must agree within |x - ref| <= 1e-4 + 1e-4 |ref| (the spec's float32 tolerance). VGG at 224
 * on the plain-C reference (35 G multiply-adds in double, minutes) runs only with SYNOBS_TEST_FULL=1
 * (it passed at 0.007 and 0.009 of the tolerance when this test was written). Also: bad
 * files (a weighted layer missing, a wrong kernel shape, too few layers), a VGG16 file read as
 * VGG19, an unknown tap and a too small input are refused in one line naming the layer.
 *
 * Without /usr/bin/python3 and torch, torchvision, h5py it prints why and exits 77 (skipped).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "core/check.h"
#include "mpi_test.h"
#include "nn/cnn2d_keras.h"

#define DIR "keras_models"
static const double ATOL = 1e-4, RTOL = 1e-4;

static int mode(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (access("/usr/bin/python3", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import torch, torchvision, h5py, numpy' >/dev/null 2>&1") != 0) {
        printf("SKIP test_keras_models: /usr/bin/python3 with torch, torchvision (Debian python3-torchvision), h5py "
               "and numpy is needed to write the random-weight models and their torchvision outputs\n");
        return 77;
    }
    if (system("/usr/bin/python3 " SYNOBS_SOURCE_DIR "/validation/keras_vs_torchvision.py --out " DIR) != 0) {
        printf("test_keras_models: validation/keras_vs_torchvision.py failed\n");
        return 1;
    }
    return -1;
}

static float *read_ds(hid_t f, const char *path, int *n0, size_t *total)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0) fail_msg("refs.h5: no dataset %s", path);
    hid_t s = H5Dget_space(d);
    hsize_t dims[4] = {0};
    H5Sget_simple_extent_dims(s, dims, NULL);
    *n0 = (int)dims[0];
    *total = (size_t)H5Sget_simple_extent_npoints(s);
    float *v = xmalloc(*total * sizeof *v);
    H5_CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    H5Sclose(s);
    H5Dclose(d);
    return v;
}

static cnn2d_model *build(const char *name, const kh5_weights *w, const char *file, int s, const char *tap,
                          double eps, int be)
{
    if (!strcmp(name, "vgg16")) return cnn2d_vgg16(w, file, s, s, tap, be);
    if (!strcmp(name, "vgg19")) return cnn2d_vgg19(w, file, s, s, tap, be);
    return cnn2d_densenet121(w, file, s, s, tap, eps, be);
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

static void test_against_torchvision(void **state)
{
    (void)state;
    hid_t f = H5Fopen(DIR "/refs.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    double eps = 0;
    hid_t a = H5Aopen(f, "densenet121_bn_eps", H5P_DEFAULT);
    H5_CHECK(H5Aread(a, H5T_NATIVE_DOUBLE, &eps));
    H5Aclose(a);
    FILE *res = fopen(DIR "/results.txt", "w");
    assert_non_null(res);
    fprintf(res, "# model backend input output max_abs_diff max_ratio_to_tolerance(atol=%g,rtol=%g)\n", ATOL, RTOL);
    static const char *const models[3] = {"vgg16", "vgg19", "densenet121"};
    static const int sizes[2] = {64, 224};
    const char *fe = getenv("SYNOBS_TEST_FULL");
    bool full = fe && !strcmp(fe, "1");
    int ok = 1;
    for (int mi = 0; mi < 3; mi++) {
        char file[128];
        snprintf(file, sizeof file, DIR "/%s.h5", models[mi]);
        kh5_weights w = {0};
        if (kh5_read(file, &w) != 0) fail_msg("%s", error_message());
        for (int si = 0; si < 2; si++) {
            char p[64];
            int n, nr;
            size_t tot, rtot;
            snprintf(p, sizeof p, "/%s/x%d", models[mi], sizes[si]);
            float *x = read_ds(f, p, &n, &tot);
            snprintf(p, sizeof p, "/%s/gap%d", models[mi], sizes[si]);
            float *want = read_ds(f, p, &nr, &rtot);
            bool dn = mi == 2;
            for (int be = 0; be < 2; be++) {
                const char *bname = be ? "dnnl" : "ref";
                if (!be && !dn && sizes[si] == 224 && !full) {
                    printf("  %-11s %-4s %3dx%-3d (not run: the plain-C reference takes minutes for VGG at 224; "
                           "SYNOBS_TEST_FULL=1 runs it)\n", models[mi], bname, sizes[si], sizes[si]);
                    continue;
                }
                for (int out = 0; out < (dn ? 2 : 1); out++) {
                    const char *tap = out ? "predictions" : NULL;
                    cnn2d_model *m = build(models[mi], &w, file, sizes[si], tap, eps, be);
                    if (!m) fail_msg("%s", error_message());
                    int th, tw, tc;
                    cnn2d_tap_shape(m, &th, &tw, &tc);
                    float *ref = want, *pred = NULL;
                    size_t count = rtot;
                    if (out) {
                        snprintf(p, sizeof p, "/%s/pred%d", models[mi], sizes[si]);
                        ref = pred = read_ds(f, p, &nr, &count);
                    }
                    assert_int_equal((size_t)n * tc, count);
                    float *got = xmalloc(count * sizeof *got);
                    cnn2d_features(m, n, x, CNN2D_GAP, got);
                    double maxd = 0, ratio = 0;
                    err(got, ref, count, &maxd, &ratio);
                    const char *what = out ? "predictions" : dn ? "relu GAP" : "block5_pool GAP";
                    printf("  %-11s %-4s %3dx%-3d %-15s (%d image%s, %dx%dx%d)  max |d| %.2e  max |d|/tol %.3f%s\n",
                           models[mi], bname, sizes[si], sizes[si], what, n, n > 1 ? "s" : "", th, tw, tc, maxd, ratio,
                           ratio <= 1 ? "" : "  FAIL");
                    fprintf(res, "%s %s %d %s %.3e %.4f\n", models[mi], bname, sizes[si], out ? "predictions" : "gap",
                            maxd, ratio);
                    ok &= ratio <= 1;
                    free(got), free(pred);
                    cnn2d_free(m);
                }
            }
            free(x), free(want);
        }
        kh5_free(&w);
    }
    fclose(res);
    H5Fclose(f);
    assert_true(ok);
}

/* Building `name` from w fails in one line that holds every string of want. */
static void refused_w(const char *name, const kh5_weights *w, const char *file, int s, const char *tap,
                      const char *const *want, int nwant)
{
    error_clear();
    cnn2d_model *m = build(name, w, file, s, tap, 1e-5, CNN2D_BACKEND_REF);
    if (m) fail_msg("%s from %s (tap %s, %d px): built, should be refused", name, file, tap ? tap : "default", s);
    const char *msg = error_message();
    printf("  refused: %s\n", msg);
    assert_null(strchr(msg, '\n'));
    for (int i = 0; i < nwant; i++)
        if (!strstr(msg, want[i])) fail_msg("the message does not name %s: %s", want[i], msg);
    error_clear();
}

static void refused(const char *name, const char *file, int s, const char *tap, const char *const *want, int nwant)
{
    kh5_weights w = {0};
    if (kh5_read(file, &w) != 0) fail_msg("%s", error_message());
    refused_w(name, &w, file, s, tap, want, nwant);
    kh5_free(&w);
}

static void test_bad_files(void **state)
{
    (void)state;
    /* a wrong kernel shape */
    static const char *const shape[] = {"bad_vgg16_shape.h5", "layer block2_conv1", "[3,3,64,64]", "expected [3,3,64,128]"};
    refused("vgg16", DIR "/bad_vgg16_shape.h5", 64, NULL, shape, 4);
    /* block1_conv2 left out: the file's block2_conv1 comes where block1_conv2 is expected */
    static const char *const miss[] = {"layer block2_conv1", "vgg16 expects block1_conv2", "expected [3,3,64,64]"};
    refused("vgg16", DIR "/bad_vgg16_missing.h5", 64, NULL, miss, 3);
    /* conv2_block1_0_bn left out: the file's conv2_block1_1_conv (one tensor) comes where a BN is expected */
    static const char *const dmiss[] = {"layer conv2_block1_1_conv", "densenet121 expects conv2_block1_0_bn",
                                        "1 weight tensors, expected 4"};
    refused("densenet121", DIR "/bad_densenet121_missing.h5", 64, NULL, dmiss, 3);
    /* a VGG16 file read as VGG19: block3's fourth conv meets block4_conv1's kernel */
    static const char *const v19[] = {"layer block4_conv1", "vgg19 expects block3_conv4", "[3,3,256,512]",
                                      "expected [3,3,256,256]"};
    refused("vgg19", DIR "/vgg16.h5", 64, NULL, v19, 4);
    kh5_weights w = {0};
    assert_int_equal(kh5_read(DIR "/vgg16.h5", &w), 0);
    /* too few weighted layers for the tap; the layers before it are right */
    int all = w.nlayers;
    w.nlayers = 5;
    cnn2d_model *m = cnn2d_vgg16(&w, "vgg16.h5", 64, 64, "block3_pool", CNN2D_BACKEND_REF);
    assert_null(m);
    error_clear();
    m = cnn2d_vgg16(&w, "vgg16.h5", 64, 64, "block2_pool", CNN2D_BACKEND_REF);
    assert_non_null(m);
    cnn2d_free(m);
    static const char *const shortf[] = {"layer block3_conv2: missing", "has 5 weighted layers"};
    refused_w("vgg16", &w, "vgg16.h5", 64, "block3_pool", shortf, 2);
    w.nlayers = all;
    /* the top needs a file with it */
    static const char *const top[] = {"layer fc1: missing"};
    refused_w("vgg16", &w, "vgg16.h5", 224, "fc1", top, 1);
    static const char *const tap[] = {"no layer named \"block9_pool\""};
    refused_w("vgg16", &w, "vgg16.h5", 64, "block9_pool", tap, 1);
    static const char *const small[] = {"input 31x31", "at least 32"};
    refused_w("vgg16", &w, "vgg16.h5", 31, NULL, small, 2);
    kh5_free(&w);
}

static void test_taps(void **state)
{
    (void)state;
    /* every DenseNet tap kind builds with the right shape (64x64 input) */
    kh5_weights w = {0};
    assert_int_equal(kh5_read(DIR "/densenet121.h5", &w), 0);
    static const struct {
        const char *tap;
        int h, c;
    } t[] = {{"conv1_conv", 32, 64},          {"conv1_bn", 32, 64},           {"conv1_relu", 32, 64},
             {"pool1", 16, 64},               {"conv2_block1_0_bn", 16, 64},  {"conv2_block1_0_relu", 16, 64},
             {"conv2_block1_1_conv", 16, 128}, {"conv2_block1_1_bn", 16, 128}, {"conv2_block1_1_relu", 16, 128},
             {"conv2_block1_2_conv", 16, 32}, {"conv2_block1_concat", 16, 96}, {"pool2_bn", 16, 256},
             {"pool2_relu", 16, 256},         {"pool2_conv", 16, 128},        {"pool2_pool", 8, 128},
             {"conv5_block16_concat", 2, 1024}, {"bn", 2, 1024},              {"relu", 2, 1024},
             {"avg_pool", 1, 1024},           {"predictions", 1, 1000}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        cnn2d_model *m = cnn2d_densenet121(&w, "densenet121.h5", 64, 64, t[i].tap, 1e-5, CNN2D_BACKEND_DNNL);
        if (!m) fail_msg("%s", error_message());
        int th, tw, tc;
        cnn2d_tap_shape(m, &th, &tw, &tc);
        if (th != t[i].h || tw != t[i].h || tc != t[i].c)
            fail_msg("tap %s: %dx%dx%d, expected %dx%dx%d", t[i].tap, th, tw, tc, t[i].h, t[i].h, t[i].c);
        cnn2d_free(m);
    }
    kh5_free(&w);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_bad_files),
    cmocka_unit_test(test_taps),
    cmocka_unit_test(test_against_torchvision),
};
MPI_TEST_MAIN_WITH_MODE(tests, mode)
