/* The Keras HDF5 weight loader (spec analogues.md 9.4) and SHA-256: fixtures written by
 * tests/make_keras_h5.py (h5py) in the TF-Keras 2, old VGG and full-model (/model_weights, split
 * attributes) layouts, checked for layer order, names, shapes and exact values; bad files give one
 * error naming the file and the layer. When weights/mobilenet_v2_nsfwjs.h5 is there
 * (validation/tools/fetch_weights.sh; directory from SYNOBS_WEIGHTS_DIR), its counts (spec 9.3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/check.h"
#include "io/keras_h5.h"
#include "io/sha256.h"
#include "mpi_test.h"

#define DIR "keras_h5_test"
#define WRITER "/usr/bin/python3 " SYNOBS_SOURCE_DIR "/tests/make_keras_h5.py"

typedef struct {
    const char *name;
    int ndim;
    int64_t shape[4];
} want_tensor;

typedef struct {
    const char *name;
    int ntensors;
    want_tensor t[4];
} want_layer;

static void expect_error(int rc, const char *what)
{
    assert_int_equal(rc, -1);
    if (strstr(error_message(), what) == NULL) fail_msg("error '%s' does not contain '%s'", error_message(), what);
    error_clear();
}

/* Layers, names, shapes, and value[i] = 100 L + 10 T + 0.25 i exactly. */
static void check_file(const char *path, const want_layer *want, int n)
{
    kh5_weights w;
    if (kh5_read(path, &w) != 0) fail_msg("%s", error_message());
    char hex[65];
    assert_int_equal(sha256_file(path, hex), 0);
    assert_string_equal(w.sha256, hex);
    assert_int_equal(w.nlayers, n);
    for (int L = 0; L < n; L++) {
        const kh5_layer *l = &w.layers[L];
        assert_string_equal(l->name, want[L].name);
        assert_ptr_equal(kh5_layer_find(&w, want[L].name), l);
        assert_int_equal(l->ntensors, want[L].ntensors);
        for (int T = 0; T < l->ntensors; T++) {
            const kh5_tensor *t = &l->t[T];
            assert_string_equal(t->name, want[L].t[T].name);
            assert_int_equal(t->ndim, want[L].t[T].ndim);
            size_t count = 1;
            for (int d = 0; d < t->ndim; d++) {
                assert_int_equal(t->shape[d], want[L].t[T].shape[d]);
                count *= (size_t)t->shape[d];
            }
            for (size_t i = 0; i < count; i++) {
                float v = (float)(100.0 * L + 10.0 * T + 0.25 * (double)i);
                if (t->data[i] != v) fail_msg("%s %s[%zu] = %.9g, not %.9g", path, t->name, i, t->data[i], v);
            }
        }
    }
    assert_null(kh5_layer_find(&w, "input_1"));
    kh5_free(&w);
}

static int have_h5py(void)
{
    return access("/usr/bin/python3", X_OK) == 0 &&
           system("/usr/bin/python3 -c 'import h5py, numpy' >/dev/null 2>&1") == 0;
}

static void test_layouts(void **state)
{
    (void)state;
    if (!have_h5py()) {
        print_message("skipped: /usr/bin/python3 with h5py and numpy is needed to write the fixtures\n");
        skip();
    }
    assert_int_equal(system("rm -rf " DIR " && " WRITER " --out " DIR), 0);
    static const want_layer tf2[] = {
        {"conv_a", 2, {{"conv_a/kernel:0", 4, {3, 3, 2, 4}}, {"conv_a/bias:0", 1, {4}}}},
        {"bn_a", 4, {{"bn_a/gamma:0", 1, {4}}, {"bn_a/beta:0", 1, {4}}, {"bn_a/moving_mean:0", 1, {4}},
                     {"bn_a/moving_variance:0", 1, {4}}}},
        {"dense_1", 2, {{"dense_1/kernel:0", 2, {4, 3}}, {"dense_1/bias:0", 1, {3}}}}, /* float64, float16 */
    };
    check_file(DIR "/tf2.h5", tf2, 3);
    static const want_layer vgg[] = {
        {"block1_conv1", 2, {{"block1_conv1_W_1:0", 4, {3, 3, 3, 2}}, {"block1_conv1_b_1:0", 1, {2}}}},
        {"block1_conv2", 2, {{"block1_conv2_W_1:0", 4, {3, 3, 2, 2}}, {"block1_conv2_b_1:0", 1, {2}}}},
        {"predictions", 2, {{"predictions_W_1:0", 2, {8, 5}}, {"predictions_b_1:0", 1, {5}}}},
    };
    check_file(DIR "/vgg.h5", vgg, 3);
    static const want_layer full[] = {
        {"conv1/conv", 1, {{"conv1/conv/kernel:0", 4, {7, 7, 3, 2}}}},
        {"conv1/bn", 4, {{"conv1/bn/gamma:0", 1, {2}}, {"conv1/bn/beta:0", 1, {2}}, {"conv1/bn/moving_mean:0", 1, {2}},
                         {"conv1/bn/moving_variance:0", 1, {2}}}},
        {"zz_dense", 2, {{"zz_dense/kernel:0", 2, {2, 3}}, {"zz_dense/bias:0", 1, {3}}}},
    };
    check_file(DIR "/full.h5", full, 3);

    kh5_weights w;
    expect_error(kh5_read(DIR "/missing.h5", &w), DIR "/missing.h5: layer conv_a: weight conv_a/bias:0: no such dataset");
    assert_int_equal(w.nlayers, 0);
    assert_null(w.layers);
    expect_error(kh5_read(DIR "/intdata.h5", &w),
                 DIR "/intdata.h5: layer bn_a: weight bn_a/moving_mean:0: not a float dataset (integer)");
    expect_error(kh5_read(DIR "/nolayers.h5", &w), DIR "/nolayers.h5: no layer_names attribute");
    FILE *fp = fopen(DIR "/notes.h5", "w");
    assert_non_null(fp);
    fputs("not HDF5 at all\n", fp);
    fclose(fp);
    expect_error(kh5_read(DIR "/notes.h5", &w), DIR "/notes.h5: not an HDF5 file");
    expect_error(kh5_read(DIR "/none.h5", &w), DIR "/none.h5: cannot open");
}

/* Digests against sha256sum: empty, the FIPS 180-4 examples' sizes, a block boundary, 1 MB. */
static void test_sha256(void **state)
{
    (void)state;
    assert_int_equal(system("mkdir -p " DIR), 0);
    static const size_t sizes[] = {0, 3, 55, 56, 63, 64, 65, 119, 1000003, 1 << 20};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        char path[128], cmd[256], want[80] = "", got[65];
        snprintf(path, sizeof path, DIR "/sha_%zu.bin", sizes[k]);
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        for (size_t i = 0; i < sizes[k]; i++) fputc((int)((i * 2654435761u) >> 13) & 0xff, fp);
        fclose(fp);
        snprintf(cmd, sizeof cmd, "sha256sum %s", path);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        assert_non_null(fgets(want, sizeof want, p));
        pclose(p);
        want[64] = '\0';
        assert_int_equal(sha256_file(path, got), 0);
        if (strcmp(got, want) != 0) fail_msg("%s: %s, sha256sum says %s", path, got, want);
    }
    char hex[65];
    sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect_error(sha256_file(DIR "/absent.bin", hex), DIR "/absent.bin: cannot open");
}

/* The converted nsfwjs MobileNetV2 (spec 9.3): 107 weighted layers, 266 tensors, 2,619,461 values. */
static void test_mobilenet_v2(void **state)
{
    (void)state;
    const char *dir = getenv("SYNOBS_WEIGHTS_DIR") ? getenv("SYNOBS_WEIGHTS_DIR") : SYNOBS_SOURCE_DIR "/weights";
    char path[1024];
    snprintf(path, sizeof path, "%s/mobilenet_v2_nsfwjs.h5", dir);
    if (access(path, R_OK) != 0) {
        print_message("skipped: %s is absent (run validation/tools/fetch_weights.sh %s)\n", path, dir);
        skip();
    }
    kh5_weights w;
    if (kh5_read(path, &w) != 0) fail_msg("%s", error_message());
    int ntensors = 0, nbn = 0;
    long long nparam = 0;
    for (int L = 0; L < w.nlayers; L++) {
        const kh5_layer *l = &w.layers[L];
        ntensors += l->ntensors;
        if (strstr(l->name, "_BN") || strstr(l->name, "_bn") || strncmp(l->name, "bn_", 3) == 0) {
            nbn++;
            assert_int_equal(l->ntensors, 4);
        }
        for (int T = 0; T < l->ntensors; T++) {
            long long c = 1;
            for (int d = 0; d < l->t[T].ndim; d++) c *= l->t[T].shape[d];
            nparam += c;
        }
    }
    assert_int_equal(w.nlayers, 35 + 52 + 17 + 3);
    assert_int_equal(nbn, 52);
    assert_int_equal(ntensors, 266);
    assert_int_equal(nparam, 2619461);
    assert_string_equal(w.layers[0].name, "Conv1");
    assert_string_equal(w.layers[0].t[0].name, "Conv1/kernel:0");
    assert_int_equal(w.layers[0].t[0].shape[3], 32);
    const kh5_layer *dw = kh5_layer_find(&w, "block_10_depthwise");
    assert_non_null(dw);
    assert_string_equal(dw->t[0].name, "block_10_depthwise/depthwise_kernel:0");
    int64_t dws[4] = {3, 3, 384, 1};
    for (int d = 0; d < 4; d++) assert_int_equal(dw->t[0].shape[d], dws[d]);
    print_message("%s: %d weighted layers, %d tensors, %lld parameters, sha256 %s\n", path, w.nlayers, ntensors,
                  nparam, w.sha256);
    kh5_free(&w);
}

static const struct CMUnitTest group[] = {
    cmocka_unit_test(test_layouts),
    cmocka_unit_test(test_sha256),
    cmocka_unit_test(test_mobilenet_v2),
};
MPI_TEST_MAIN(group)
