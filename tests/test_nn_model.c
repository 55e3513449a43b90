/**
 * @file test_nn_model.c
 * @brief COEmuNet's parameter counts against the spec's table (coemunet.md §2.6, §3), the loss
 * against a direct DFT sum and finite differences (§10), the metrics' defining identities (§8),
 * and the normalisation's round trip and published constants (§6.3).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/check.h"
#include "core/rng.h"
#include "mpi_test.h"
#include "nn/coemunet.h"
#include "nn/loss.h"
#include "nn/metrics.h"
#include "nn/preprocess.h"

static size_t count(int grid, int channels, bool single, const char *prefix)
{
    nn_graph g;
    nn_graph_init(&g, NN_BACKEND_REFERENCE);
    coemunet_config cfg = {grid, channels, single, true};
    assert_int_equal(coemunet_build(&g, &cfg), 0);
    size_t n = nn_param_count(&g, prefix);
    if (!*prefix) assert_int_equal(n, coemunet_expected_params(&cfg));
    nn_graph_free(&g);
    return n;
}

static void test_parameter_counts(void **state)
{
    (void)state;
    assert_int_equal(count(64, 7, false, ""), 143292721);       /* the paper's model */
    assert_int_equal(count(64, 7, false, "enc"), 604656);
    assert_int_equal(count(64, 7, false, "to_lat"), 25169920);
    assert_int_equal(count(64, 7, false, "to_dec"), 117469184);
    assert_int_equal(count(64, 7, false, "dec."), 48888);       /* 48,961 with the output conv (73) */
    assert_int_equal(count(64, 7, false, "out"), 73);
    assert_int_equal(count(32, 7, false, ""), 33170737);
    assert_int_equal(count(128, 7, false, ""), 671861041);
    assert_int_equal(count(64, 1, true, ""), 42580321);         /* single-frequency variant */
    nn_graph g;
    nn_graph_init(&g, NN_BACKEND_REFERENCE);
    coemunet_config bad = {48, 7, false, true};
    assert_int_equal(coemunet_build(&g, &bad), -1);
    assert_non_null(strstr(error_message(), "grid must be 32, 64 or 128"));
    error_clear();
    nn_graph_free(&g);
}

static void test_loss(void **state)
{
    (void)state;
    enum { B = 2, H = 16, W = 16 };
    const size_t n = (size_t)B * H * W;
    float p[B * H * W], t[B * H * W], grad[B * H * W];
    rng r;
    rng_seed(&r, 11, 0);
    for (size_t i = 0; i < n; i++) {
        p[i] = (float)rng_uniform(&r);
        t[i] = (float)rng_uniform(&r);
    }
    nn_loss l;
    nn_loss_init(&l, B, H, W, 0.8);
    nn_loss_value v = nn_loss_eval(&l, p, t, grad);
    /* direct O(N^4) DFT of t − p */
    double mod = 0, sq = 0;
    for (int b = 0; b < B; b++)
        for (int u = 0; u < H; u++)
            for (int w = 0; w < W; w++) {
                double re = 0, im = 0;
                for (int m = 0; m < H; m++)
                    for (int k = 0; k < W; k++) {
                        size_t j = ((size_t)b * H + m) * W + k;
                        double d = (double)t[j] - p[j], ph = -2 * 3.14159265358979323846 * ((double)u * m / H + (double)w * k / W);
                        re += d * cos(ph);
                        im += d * sin(ph);
                    }
                mod += hypot(re, im);
            }
    for (size_t i = 0; i < n; i++) sq += ((double)t[i] - p[i]) * ((double)t[i] - p[i]);
    double want = 0.8 * sq / n + 0.2 * mod / n;
    printf("  loss %.9g, direct DFT %.9g (rel %.1e)\n", v.total, want, fabs(v.total - want) / want);
    assert_true(fabs(v.total - want) / want < 1e-5);
    double worst = 0;
    for (size_t i = 0; i < n; i += 37) {
        float keep = p[i];
        const float h = 1e-3f;
        p[i] = keep + h;
        double up = nn_loss_eval(&l, p, t, NULL).total;
        p[i] = keep - h;
        double dn = nn_loss_eval(&l, p, t, NULL).total;
        p[i] = keep;
        worst = fmax(worst, fabs((up - dn) / (2 * h) - grad[i]) / (fabs(grad[i]) + 1e-3));
    }
    printf("  gradient vs finite differences: worst relative %.1e\n", worst);
    assert_true(worst < 2e-2);
    nn_loss_free(&l);
}

static void test_metrics(void **state)
{
    (void)state;
    enum { N = 3, F = 2, H = 16, W = 16 };
    static float a[N * F * H * W], c[N * F * H * W];
    rng r;
    rng_seed(&r, 3, 0);
    for (size_t i = 0; i < sizeof a / sizeof *a; i++) {
        a[i] = (float)rng_uniform(&r);
        c[i] = 0.25f;
    }
    assert_true(fabs(metric_zncc(a, a, N, F, H, W) - 1.0) < 1e-12);
    assert_true(fabs(metric_ssim(a, a, N, F, H, W) - 1.0) < 1e-12);
    assert_true(metric_zncc(c, a, N, F, H, W) == 0.0);
    double ia[F * H * W];
    for (int i = 0; i < F * H * W; i++) ia[i] = exp(a[i]);
    assert_true(metric_maxrel_sample(ia, ia, F, H, W) == 0.0);
    double m[4] = {3, 1, 4, 2};
    assert_true(metric_median(m, 4) == 2.5);
}

static void test_normalisation(void **state)
{
    (void)state;
    nn_norm nm = nn_norm_published();
    float I[4] = {0.0f, 1e-17f, 3e-13f, 1e-30f}, y[4];
    nn_norm_intensity(&nm, 4, I, y);
    /* zero → the sample's smallest non-zero value (1e-30), whose log is below −40: y = 0 */
    assert_true(y[0] == 0.0f && y[3] == 0.0f);
    double back[4];
    nn_denorm_intensity(&nm, 4, y, back);
    assert_true(fabs(back[1] - 1e-17) / 1e-17 < 1e-6);
    assert_true(fabs(back[2] - 3e-13) / 3e-13 < 1e-6);
    float vz = 6.9246927695198446f, T = 20.0f, n = (float)exp(4.6492776870727539 + 4.1785783767700195), out[3];
    nn_norm_inputs(&nm, 1, &vz, &T, &n, out);
    assert_true(fabs(out[0]) < 1e-6 && fabs(out[1]) < 1e-6 && fabs(out[2] - 1.0) < 1e-6);
}

static const struct CMUnitTest group[] = {cmocka_unit_test(test_parameter_counts), cmocka_unit_test(test_loss),
                                          cmocka_unit_test(test_metrics), cmocka_unit_test(test_normalisation)};
MPI_TEST_MAIN(group)
