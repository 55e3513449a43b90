/**
 * @file test_nn_layers.c
 * @brief Every numerical layer on oneDNN against the plain-C reference, forward (training and
 * inference) and backward (input gradient and parameter gradients), on one-layer graphs of the
 * shapes COEmuNet uses; the graph's gradient plumbing (residual add, concat, slice); and the
 * OpenBLAS fully connected layer giving the same bits at 1 and 3 threads.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "core/check.h"
#include "core/rng.h"
#include "mpi_test.h"
#include "nn/bn_stats.h"
#include "nn/graph.h"
#include "nn/linear_blas.h"
#include "nn/maxpool.h"
#include "nn/ops.h"

enum { BATCH = 2 };

typedef int (*build_fn)(nn_graph *g, int x, const void *arg);

static double rel(const float *a, const float *b, size_t n)
{
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        s += (double)b[i] * b[i];
    }
    return s > 0 ? sqrt(d / s) : sqrt(d);
}

static void fill(float *v, size_t n, rng *r)
{
    for (size_t i = 0; i < n; i++) v[i] = (float)rng_normal(r);
}

/* Run a one-layer graph (input → layer) on both backends with the same parameters, input and
 * output gradient; compare output, input gradient and every parameter gradient. */
static void compare(const char *what, nn_dims in, build_fn build, const void *arg, bool training, double tol)
{
    nn_graph g[2];
    const nn_backend backends[2] = {NN_BACKEND_REFERENCE, NN_BACKEND_DNNL};
    rng r;
    rng_seed(&r, 42, 0);
    float *x = NULL, *dy = NULL;
    size_t nx = (size_t)BATCH * nn_sample(in), ny = 0;
    for (int k = 0; k < 2; k++) {
        nn_graph_init(&g[k], backends[k]);
        int xi = nn_input(&g[k], in.c, in.d, in.h, in.w);
        g[k].nodes[xi].needs_grad = true;   /* so the layer's input gradient lands in node 0 */
        build(&g[k], xi, arg);
        nn_graph_finalize(&g[k]);
        nn_graph_init_params(&g[k], 7);
        for (size_t i = 0; i < g[k].nparams; i++) g[k].params[i] += 0.1f * (float)((i * 2654435761u) % 1000) / 1000.0f;
        for (size_t i = 0; i < g[k].nbuffers; i++) g[k].buffers[i] = 0.5f + 0.001f * (float)(i % 7);
        nn_graph_set_batch(&g[k], BATCH);
        if (!training) nn_graph_fold_bn(&g[k]);
        if (k == 0) {
            ny = (size_t)BATCH * nn_sample(nn_output(&g[0])->out);
            x = xmalloc(nx * sizeof *x);
            dy = xmalloc(ny * sizeof *dy);
            fill(x, nx, &r);
            fill(dy, ny, &r);
        }
        nn_forward(&g[k], x, training);
        if (training) nn_backward(&g[k], dy);
    }
    double e_out = rel(nn_output(&g[1])->y, nn_output(&g[0])->y, ny);
    double e_dx = training ? rel(g[1].nodes[0].dy, g[0].nodes[0].dy, nx) : 0.0, e_dw = 0;
    for (int t = 0; training && t < g[0].ntensors; t++) {
        const nn_tensor *te = &g[0].tensors[t];
        e_dw = fmax(e_dw, rel(g[1].grads + te->offset, g[0].grads + te->offset, te->count));
    }
    double e_run = g[0].nbuffers ? rel(g[1].buffers, g[0].buffers, g[0].nbuffers) : 0.0;
    printf("  %-44s %s  out %.1e  dx %.1e  dparams %.1e  running %.1e\n", what, training ? "train" : "infer", e_out,
           e_dx, e_dw, e_run);
    assert_true(e_out < tol);
    assert_true(e_dx < tol);
    assert_true(e_dw < tol);
    assert_true(e_run < tol);
    for (int k = 0; k < 2; k++) nn_graph_free(&g[k]);
    free(x);
    free(dy);
}

typedef struct {
    int cout, k[3], s[3], p[3];
} conv_arg;

static int build_conv(nn_graph *g, int x, const void *arg)
{
    const conv_arg *a = arg;
    return nn_conv(g, x, "conv", a->cout, a->k, a->s, a->p);
}
static int build_bn(nn_graph *g, int x, const void *arg) { (void)arg; return nn_bn(g, x, "bn"); }
/* conv -> BN (-> ReLU): in inference the oneDNN backend runs these as one folded convolution */
static int build_conv_bn(nn_graph *g, int x, const void *arg) { return nn_bn(g, build_conv(g, x, arg), "bn"); }
static int build_conv_bn_relu(nn_graph *g, int x, const void *arg) { return nn_relu(g, build_conv_bn(g, x, arg)); }
static int build_relu(nn_graph *g, int x, const void *arg) { (void)arg; return nn_relu(g, x); }
static int build_tanh(nn_graph *g, int x, const void *arg) { (void)arg; return nn_tanh(g, x); }
static int build_pool(nn_graph *g, int x, const void *arg) { (void)arg; return nn_maxpool(g, x, (const int[3]){2, 2, 2}); }
static int build_up(nn_graph *g, int x, const void *arg) { (void)arg; return nn_upsample(g, x, (const int[3]){1, 2, 2}); }
static int build_linear(nn_graph *g, int x, const void *arg) { return nn_linear(g, x, "fc", *(const int *)arg); }

static void test_conv(void **state)
{
    (void)state;
    const double tol = 2e-6;
    conv_arg stem = {4, {3, 3, 3}, {1, 1, 1}, {0, 0, 0}};
    compare("conv 1->4 k3 s1 p0 (stem) 12^3", (nn_dims){1, 1, 12, 12, 12}, build_conv, &stem, true, tol);
    conv_arg down = {8, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}};
    compare("conv 4->8 k3 s2 p1, odd input 7^3", (nn_dims){1, 4, 7, 7, 7}, build_conv, &down, true, tol);
    conv_arg same = {8, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}};
    compare("conv 8->8 k3 s1 p1 6^3", (nn_dims){1, 8, 6, 6, 6}, build_conv, &same, true, tol);
    conv_arg proj = {16, {1, 1, 1}, {2, 2, 2}, {0, 0, 0}};
    compare("conv 8->16 k1 s2 p0 (projection) 7^3", (nn_dims){1, 8, 7, 7, 7}, build_conv, &proj, true, tol);
    conv_arg dec = {8, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}};
    compare("conv 16->8 k(1,3,3) p(0,1,1) (decoder) 7x8x8", (nn_dims){1, 16, 7, 8, 8}, build_conv, &dec, true, tol);
    /* inference only: in training the conv bias ahead of BN has a zero gradient but for rounding */
    compare("conv 1->4 k3 -> BN -> ReLU (stem, direct)", (nn_dims){1, 1, 12, 12, 12}, build_conv_bn_relu, &stem, false, tol);
    compare("conv 8->8 k3 -> BN -> ReLU", (nn_dims){1, 8, 6, 6, 6}, build_conv_bn_relu, &same, false, tol);
    compare("conv 16->8 k(1,3,3) -> BN", (nn_dims){1, 16, 7, 8, 8}, build_conv_bn, &dec, false, tol);
}

static void test_norm_and_pointwise(void **state)
{
    (void)state;
    nn_dims s = {1, 6, 5, 6, 7};
    compare("batchnorm 6 channels", s, build_bn, NULL, true, 2e-6);
    compare("batchnorm 6 channels", s, build_bn, NULL, false, 2e-6);
    compare("relu", s, build_relu, NULL, true, 1e-7);
    compare("tanh", s, build_tanh, NULL, true, 2e-6);
    compare("maxpool 2 (floor, 6x6x7 -> 3x3x3)", (nn_dims){1, 3, 6, 6, 7}, build_pool, NULL, true, 1e-7);
    compare("maxpool 2 (floor, 6x6x7 -> 3x3x3)", (nn_dims){1, 3, 6, 6, 7}, build_pool, NULL, false, 1e-7);
    compare("upsample nearest (1,2,2)", (nn_dims){1, 4, 3, 4, 5}, build_up, NULL, true, 1e-7);
    int out = 37, wide = 133;
    compare("linear 3x2x2x2 -> 37", (nn_dims){1, 3, 2, 2, 2}, build_linear, &out, true, 2e-6);
    compare("linear 5x3x4x5 -> 133", (nn_dims){1, 5, 3, 4, 5}, build_linear, &wide, true, 2e-6);
}

/* The OpenBLAS layer's threads split output (or input) features and never a sum: the same bits at
 * any thread count. */
static void test_linear_threads(void **state)
{
    (void)state;
    enum { NB = 3, IN = 301, OUT = 133 };
    rng r;
    rng_seed(&r, 11, 0);
    float *x = xmalloc(NB * IN * sizeof *x), *w = xmalloc(OUT * IN * sizeof *w), b[OUT], *dy = xmalloc(NB * OUT * sizeof *dy);
    fill(x, NB * IN, &r);
    fill(w, OUT * IN, &r);
    fill(b, OUT, &r);
    fill(dy, NB * OUT, &r);
    float *y[2], *dx[2], *dw[2], db[2][OUT];
    const int threads[2] = {1, 3};
    for (int k = 0; k < 2; k++) {
        y[k] = xmalloc(NB * OUT * sizeof(float));
        dx[k] = xmalloc(NB * IN * sizeof(float));
        dw[k] = xmalloc(OUT * IN * sizeof(float));
        omp_set_num_threads(threads[k]);
        nn_blas_single_threaded();
        nn_blas_linear_forward(NB, IN, OUT, x, w, b, y[k]);
        nn_blas_linear_backward(NB, IN, OUT, x, w, dy, dx[k], dw[k], db[k]);
    }
    omp_set_num_threads(omp_get_num_procs());
    float *y_ref = xmalloc(NB * OUT * sizeof *y_ref);
    nn_ref_linear_forward(NB, IN, OUT, x, w, b, y_ref);
    double e = rel(y[0], y_ref, NB * OUT);
    printf("  linear on OpenBLAS, 1 and 3 threads: output %s, dx %s, dW %s, db %s; against the reference %.1e\n",
           memcmp(y[0], y[1], NB * OUT * sizeof(float)) ? "DIFFERS" : "identical",
           memcmp(dx[0], dx[1], NB * IN * sizeof(float)) ? "DIFFERS" : "identical",
           memcmp(dw[0], dw[1], OUT * IN * sizeof(float)) ? "DIFFERS" : "identical",
           memcmp(db[0], db[1], sizeof db[0]) ? "DIFFERS" : "identical", e);
    assert_memory_equal(y[0], y[1], NB * OUT * sizeof(float));
    assert_memory_equal(dx[0], dx[1], NB * IN * sizeof(float));
    assert_memory_equal(dw[0], dw[1], OUT * IN * sizeof(float));
    assert_memory_equal(db[0], db[1], sizeof db[0]);
    assert_true(e < 2e-6);
    for (int k = 0; k < 2; k++) {
        free(y[k]);
        free(dx[k]);
        free(dw[k]);
    }
    free(y_ref);
    free(x);
    free(w);
    free(dy);
}

/* Residual add, slice and concat route gradients correctly: a small graph checked against
 * central finite differences of a scalar loss, on the reference backend in double-checked floats. */
static int build_mix(nn_graph *g, int x, const void *arg)
{
    (void)arg;
    int a = nn_slice(g, x, 0), b = nn_slice(g, x, 1);
    int ca = nn_conv(g, a, "ca", 2, (const int[3]){1, 3, 3}, (const int[3]){1, 1, 1}, (const int[3]){0, 1, 1});
    int cb = nn_conv(g, b, "cb", 2, (const int[3]){1, 1, 1}, (const int[3]){1, 1, 1}, (const int[3]){0, 0, 0});
    int s = nn_add(g, ca, nn_tanh(g, ca));
    int cat[2] = {s, cb};
    return nn_linear(g, nn_concat(g, cat, 2), "fc", 3);
}

static void test_gradient_plumbing(void **state)
{
    (void)state;
    nn_dims in = {1, 2, 1, 4, 4};
    compare("slice/add/concat graph", in, build_mix, NULL, true, 2e-6);
    nn_graph g;
    nn_graph_init(&g, NN_BACKEND_REFERENCE);
    int xi = nn_input(&g, in.c, in.d, in.h, in.w);
    g.nodes[xi].needs_grad = true;
    build_mix(&g, xi, NULL);
    nn_graph_finalize(&g);
    nn_graph_init_params(&g, 3);
    nn_graph_set_batch(&g, 1);
    rng r;
    rng_seed(&r, 5, 0);
    float x[32], dy[3] = {0.3f, -1.1f, 0.7f};
    fill(x, 32, &r);
    nn_forward(&g, x, true);
    nn_backward(&g, dy);
    double worst = 0;
    for (int i = 0; i < 32; i++) {
        const float h = 1e-2f;
        double f[2];
        for (int k = 0; k < 2; k++) {
            float xp[32];
            memcpy(xp, x, sizeof xp);
            xp[i] += k ? -h : h;
            const float *y = nn_forward(&g, xp, true);
            f[k] = dy[0] * y[0] + dy[1] * y[1] + dy[2] * y[2];
        }
        double fd = (f[0] - f[1]) / (2 * h);
        worst = fmax(worst, fabs(fd - g.nodes[0].dy[i]));
    }
    printf("  finite differences vs input gradient: max abs diff %.1e\n", worst);
    assert_true(worst < 2e-3);
    nn_graph_free(&g);
}

/* Batch statistics in double (the oneDNN backend's, nn/bn_stats.h) against the reference layer's
 * two-pass ones, on values far from zero with a small spread, where float sums lose digits. */
static void test_bn_batch_stats(void **state)
{
    (void)state;
    nn_dims s = {3, 5, 9, 10, 11};
    size_t n = nn_numel(s);
    float *x = xmalloc(n * sizeof *x), *y = xmalloc(n * sizeof *y);
    rng r;
    rng_seed(&r, 11, 0);
    for (size_t i = 0; i < n; i++) x[i] = (float)(1000.0 + 0.01 * rng_normal(&r));
    float gamma[5] = {1, 1, 1, 1, 1}, beta[5] = {0}, mean[5], var[5], mean_ref[5], var_ref[5];
    nn_bn_batch_stats(s, x, mean, var);
    nn_ref_bn_forward_train(s, x, gamma, beta, 1e-5f, y, mean_ref, var_ref);
    for (int c = 0; c < s.c; c++) {
        printf("  channel %d: mean %.9g (reference %.9g), variance %.9g (reference %.9g)\n", c, mean[c], mean_ref[c],
               var[c], var_ref[c]);
        assert_true(fabs(mean[c] - mean_ref[c]) <= 1e-7 * fabs(mean_ref[c]));
        assert_true(fabs(var[c] - var_ref[c]) <= 1e-6 * var_ref[c]);
    }
    free(x);
    free(y);
}

/* The oneDNN backend's max pooling against the reference layer on values with many ties (small
 * integers), for the stem's 2x2x2 and a general window, forward values and routed gradients. */
static void test_maxpool_ties(void **state)
{
    (void)state;
    const int kernels[2][3] = {{2, 2, 2}, {1, 3, 2}};
    nn_dims x = {2, 3, 7, 9, 10};
    size_t nx = nn_numel(x);
    rng r;
    rng_seed(&r, 3, 0);
    float *xv = xmalloc(nx * sizeof *xv), *dx = xmalloc(nx * sizeof *dx), *dx_ref = xmalloc(nx * sizeof *dx_ref);
    for (size_t i = 0; i < nx; i++) xv[i] = (float)(int)(4 * rng_uniform(&r));
    for (int t = 0; t < 2; t++) {
        const int *k = kernels[t];
        nn_dims y = {x.n, x.c, x.d / k[0], x.h / k[1], x.w / k[2]};
        size_t ny = nn_numel(y);
        float *yv = xmalloc(ny * sizeof *yv), *y_ref = xmalloc(ny * sizeof *y_ref), *dy = xmalloc(ny * sizeof *dy);
        uint8_t *arg = xmalloc(ny);
        for (size_t i = 0; i < ny; i++) dy[i] = (float)rng_normal(&r);
        nn_maxpool_forward(x, k, xv, yv, arg);
        nn_ref_maxpool_forward(x, y, k, xv, y_ref);
        nn_maxpool_backward(x, k, arg, dy, dx);
        nn_ref_maxpool_backward(x, y, k, xv, dy, dx_ref);
        printf("  maxpool %dx%dx%d with ties: forward %s, gradient %s\n", k[0], k[1], k[2],
               memcmp(yv, y_ref, ny * sizeof *yv) ? "DIFFERS" : "identical", memcmp(dx, dx_ref, nx * sizeof *dx) ? "DIFFERS" : "identical");
        assert_memory_equal(yv, y_ref, ny * sizeof *yv);
        assert_memory_equal(dx, dx_ref, nx * sizeof *dx);
        free(yv);
        free(y_ref);
        free(dy);
        free(arg);
    }
    free(xv);
    free(dx);
    free(dx_ref);
}

static const struct CMUnitTest group[] = {cmocka_unit_test(test_maxpool_ties), cmocka_unit_test(test_conv), cmocka_unit_test(test_norm_and_pointwise),
                                          cmocka_unit_test(test_gradient_plumbing), cmocka_unit_test(test_bn_batch_stats), cmocka_unit_test(test_linear_threads)};
MPI_TEST_MAIN(group)
