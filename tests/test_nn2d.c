/**
 * @file test_nn2d.c
 * @brief The 2-D inference ops (issue 17): every oneDNN op against the plain-C reference on random
 * inputs, the reference against PyTorch (tests/make_nn2d_fixture.py), and a small DAG (conv, pad,
 * residual add fused as a sum post-op, concat, pools, dense, softmax) run on both backends.
 *
 * Tolerances. The reference sums in double and rounds once; oneDNN sums K = kh kw cin/groups
 * products in float32 in some order, so its error is bounded by K u S with u = 2^-24 and
 * S = sum |x w| + |b| (recursive summation; S is the reference conv run on |x|, |w|, |b|). The test
 * allows 2 K u S + 1e-7 (bias, post-op rounding). Pooling: max exact, average and GAP K u mean|x|.
 * Against torch (float64) the reference rounds once: 1e-6 relative to S, or 2e-7 on unit values.
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
#include "nn/ops2d.h"

static const double U = 5.9604644775390625e-8; /* 2^-24 */

static uint64_t seed = 12345;
static float frand(void) /* uniform (-1, 1) */
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((double)(seed >> 11) / 9007199254740992.0 * 2 - 1);
}
static float *rnd(size_t n, float scale)
{
    float *v = xmalloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = scale * frand();
    return v;
}
static float *absv(const float *v, size_t n)
{
    if (!v) return NULL;
    float *a = xmalloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++) a[i] = fabsf(v[i]);
    return a;
}

/* Checks |got - want| <= tol[i] (tol NULL: atol); prints the worst and the first mismatch. */
static int compare(const char *what, const float *got, const float *want, const float *tol, double atol, size_t n)
{
    size_t bad = 0;
    double worst = 0, worst_ratio = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]), t = tol ? tol[i] : atol;
        if (d > worst) worst = d;
        if (t > 0 && d / t > worst_ratio) worst_ratio = d / t;
        if (!(d <= t)) {
            if (!bad) printf("  %s: first mismatch at %zu: %.9g vs %.9g (tol %.3g)\n", what, i, got[i], want[i], t);
            bad++;
        }
    }
    printf("  %-44s n %7zu  max |d| %.2e  max |d|/tol %.3f%s\n", what, n, worst, worst_ratio, bad ? "  FAIL" : "");
    return bad == 0;
}

/* ---- oneDNN against the reference ---- */

static int conv_case(nn_dnnl_ctx *ctx, nn2d_conv g, nn2d_act act, bool bias, bool accumulate)
{
    int oh = nn2d_conv_oh(&g), ow = nn2d_conv_ow(&g), K = g.kh * g.kw * g.c / g.groups;
    size_t nx = (size_t)g.n * g.h * g.w * g.c, nw = (size_t)g.kh * g.kw * (g.c / g.groups) * g.cout,
           ny = (size_t)g.n * oh * ow * g.cout;
    float *x = rnd(nx, 2), *w = rnd(nw, 2.0f / sqrtf((float)K)), *b = bias ? rnd((size_t)g.cout, 1) : NULL;
    float *skip = rnd(ny, 3);
    float *want = xmalloc(ny * sizeof *want), *got = xmalloc(ny * sizeof *got), *tol = xmalloc(ny * sizeof *tol);
    float *ax = absv(x, nx), *aw = absv(w, nw), *ab = absv(b, (size_t)g.cout);
    nn2d_ref_conv(&g, ax, aw, ab, NN2D_ACT_NONE, tol);
    for (size_t i = 0; i < ny; i++) tol[i] = (float)(2 * K * U * (tol[i] + (accumulate ? fabsf(skip[i]) : 0)) + 1e-7);
    if (accumulate) {
        nn2d_ref_conv(&g, x, w, b, NN2D_ACT_NONE, want);
        nn2d_ref_add(ny, want, skip, act, want);
        memcpy(got, skip, ny * sizeof *got);
    } else {
        nn2d_ref_conv(&g, x, w, b, act, want);
    }
    nn2d_dnnl_op *op = nn2d_dnnl_conv_make(ctx, &g, w, b, act, accumulate);
    const float *xs[1] = {x};
    nn2d_dnnl_run(ctx, op, xs, got);
    char what[160];
    snprintf(what, sizeof what, "conv %dx%dx%d k%dx%d s%d,%d p%d%d%d%d g%d ->%d a%d%s%s", g.h, g.w, g.c, g.kh, g.kw,
             g.sh, g.sw, g.pad.top, g.pad.bottom, g.pad.left, g.pad.right, g.groups, g.cout, act, bias ? " b" : "",
             accumulate ? " +sum" : "");
    int ok = compare(what, got, want, tol, 0, ny);
    nn2d_dnnl_op_free(op);
    free(x), free(w), free(b), free(skip), free(want), free(got), free(tol), free(ax), free(aw), free(ab);
    return ok;
}

static nn2d_conv geom(int n, int h, int w, int c, int kh, int kw, int sh, int sw, nn2d_pad p, int groups, int cout)
{
    return (nn2d_conv){n, h, w, c, kh, kw, sh, sw, p, groups, cout};
}

static void test_dnnl_conv(void **state)
{
    (void)state;
    nn_dnnl_ctx ctx;
    nn_dnnl_ctx_init(&ctx);
    int ok = 1;
    ok &= conv_case(&ctx, geom(2, 9, 7, 5, 3, 3, 1, 1, nn2d_pad_same(9, 7, 3, 3, 1, 1), 1, 6), NN2D_ACT_RELU6, true, false);
    ok &= conv_case(&ctx, geom(3, 8, 10, 16, 3, 3, 2, 2, nn2d_pad_same(8, 10, 3, 3, 2, 2), 1, 32), NN2D_ACT_NONE, true, false);
    ok &= conv_case(&ctx, geom(2, 11, 9, 3, 3, 3, 2, 2, nn2d_pad_same(11, 9, 3, 3, 2, 2), 1, 32), NN2D_ACT_RELU, false, false);
    ok &= conv_case(&ctx, geom(2, 15, 15, 3, 3, 3, 2, 2, (nn2d_pad){0, 1, 0, 1}, 1, 32), NN2D_ACT_RELU6, true, false);
    /* depthwise: after a ZeroPadding2D, TF SAME s1 and s2 on odd sizes, multiplier 2 */
    ok &= conv_case(&ctx, geom(2, 9, 8, 24, 3, 3, 2, 2, (nn2d_pad){0, 1, 0, 1}, 24, 24), NN2D_ACT_RELU6, true, false);
    ok &= conv_case(&ctx, geom(2, 7, 7, 32, 3, 3, 1, 1, nn2d_pad_same(7, 7, 3, 3, 1, 1), 32, 32), NN2D_ACT_RELU6, true, false);
    ok &= conv_case(&ctx, geom(1, 13, 11, 40, 3, 3, 2, 2, nn2d_pad_same(13, 11, 3, 3, 2, 2), 40, 40), NN2D_ACT_NONE, true, false);
    ok &= conv_case(&ctx, geom(2, 6, 7, 8, 3, 3, 1, 1, nn2d_pad_same(6, 7, 3, 3, 1, 1), 8, 16), NN2D_ACT_RELU, true, false);
    /* grouped, asymmetric, non-square kernel and stride */
    ok &= conv_case(&ctx, geom(2, 10, 11, 8, 3, 5, 1, 2, (nn2d_pad){2, 0, 1, 3}, 2, 6), NN2D_ACT_RELU, true, false);
    ok &= conv_case(&ctx, geom(1, 12, 12, 16, 5, 5, 3, 3, nn2d_pad_valid(), 4, 8), NN2D_ACT_NONE, false, false);
    /* 1x1 (MobileNet's expand / project), and the residual add as a sum post-op */
    ok &= conv_case(&ctx, geom(4, 7, 5, 24, 1, 1, 1, 1, nn2d_pad_valid(), 1, 144), NN2D_ACT_RELU6, true, false);
    ok &= conv_case(&ctx, geom(4, 7, 5, 144, 1, 1, 1, 1, nn2d_pad_valid(), 1, 24), NN2D_ACT_NONE, true, true);
    ok &= conv_case(&ctx, geom(2, 9, 9, 6, 3, 3, 1, 1, nn2d_pad_same(9, 9, 3, 3, 1, 1), 1, 5), NN2D_ACT_RELU, false, true);
    nn_dnnl_ctx_free(&ctx);
    assert_true(all_true(ok));
}

static int pool_case(nn_dnnl_ctx *ctx, nn2d_pool g, bool max)
{
    int oh = nn2d_pool_oh(&g), ow = nn2d_pool_ow(&g);
    size_t nx = (size_t)g.n * g.h * g.w * g.c, ny = (size_t)g.n * oh * ow * g.c;
    float *x = rnd(nx, 5), *want = xmalloc(ny * sizeof *want), *got = xmalloc(ny * sizeof *got);
    if (max) nn2d_ref_maxpool(&g, x, want);
    else nn2d_ref_avgpool(&g, x, want);
    nn2d_dnnl_op *op = max ? nn2d_dnnl_maxpool_make(ctx, &g) : nn2d_dnnl_avgpool_make(ctx, &g);
    const float *xs[1] = {x};
    nn2d_dnnl_run(ctx, op, xs, got);
    char what[160];
    snprintf(what, sizeof what, "%s %dx%dx%d k%dx%d s%d,%d p%d%d%d%d", max ? "maxpool" : "avgpool", g.h, g.w, g.c, g.kh,
             g.kw, g.sh, g.sw, g.pad.top, g.pad.bottom, g.pad.left, g.pad.right);
    int ok = compare(what, got, want, NULL, max ? 0 : 2 * g.kh * g.kw * U * 5, ny);
    nn2d_dnnl_op_free(op);
    free(x), free(want), free(got);
    return ok;
}

static nn2d_pool pgeom(int n, int h, int w, int c, int k, int s, nn2d_pad p) { return (nn2d_pool){n, h, w, c, k, k, s, s, p}; }

static void test_dnnl_pool(void **state)
{
    (void)state;
    nn_dnnl_ctx ctx;
    nn_dnnl_ctx_init(&ctx);
    int ok = 1;
    ok &= pool_case(&ctx, pgeom(2, 9, 8, 5, 3, 2, nn2d_pad_same(9, 8, 3, 3, 2, 2)), true);
    ok &= pool_case(&ctx, pgeom(2, 8, 6, 16, 2, 2, nn2d_pad_valid()), true);
    ok &= pool_case(&ctx, pgeom(2, 15, 15, 8, 3, 2, nn2d_pad_valid()), true);
    ok &= pool_case(&ctx, pgeom(2, 7, 6, 4, 3, 1, nn2d_pad_same(7, 6, 3, 3, 1, 1)), false);
    ok &= pool_case(&ctx, pgeom(2, 8, 9, 3, 3, 2, nn2d_pad_same(8, 9, 3, 3, 2, 2)), false);
    ok &= pool_case(&ctx, pgeom(2, 17, 17, 32, 3, 1, nn2d_pad_same(17, 17, 3, 3, 1, 1)), false);
    ok &= pool_case(&ctx, pgeom(1, 14, 14, 6, 7, 7, nn2d_pad_valid()), false);
    nn_dnnl_ctx_free(&ctx);
    assert_true(all_true(ok));
}

static void test_dnnl_misc(void **state)
{
    (void)state;
    nn_dnnl_ctx ctx;
    nn_dnnl_ctx_init(&ctx);
    int ok = 1;
    const float *xs[3];
    { /* zero-pad, asymmetric */
        nn2d_pad p = {2, 1, 0, 3};
        size_t nx = 2 * 5 * 4 * 3, ny = 2 * 8 * 7 * 3;
        float *x = rnd(nx, 1), *want = xmalloc(ny * 4), *got = xmalloc(ny * 4);
        for (size_t i = 0; i < ny; i++) got[i] = NAN;
        nn2d_ref_zero_pad(2, 5, 4, 3, p, x, want);
        nn2d_dnnl_op *op = nn2d_dnnl_zero_pad_make(&ctx, 2, 5, 4, 3, p);
        xs[0] = x;
        nn2d_dnnl_run(&ctx, op, xs, got);
        ok &= compare("zero_pad 5x4x3 p2103", got, want, NULL, 0, ny);
        nn2d_dnnl_op_free(op);
        free(x), free(want), free(got);
    }
    { /* GAP */
        int n = 3, h = 7, w = 7, c = 40;
        float *x = rnd((size_t)n * h * w * c, 3), want[120], got[120];
        nn2d_ref_gap(n, h, w, c, x, want);
        nn2d_dnnl_op *op = nn2d_dnnl_gap_make(&ctx, n, h, w, c);
        xs[0] = x;
        nn2d_dnnl_run(&ctx, op, xs, got);
        ok &= compare("gap 7x7x40", got, want, NULL, 2 * h * w * U * 3, (size_t)n * c);
        nn2d_dnnl_op_free(op);
        free(x);
    }
    { /* add + relu6: one float32 rounding of an exact-in-double sum, then clip */
        size_t n = 1000;
        float *a = rnd(n, 8), *b = rnd(n, 8), *want = xmalloc(n * 4), *got = xmalloc(n * 4);
        for (int act = 0; act < 3; act++) {
            nn2d_ref_add(n, a, b, (nn2d_act)act, want);
            nn2d_dnnl_op *op = nn2d_dnnl_add_make(&ctx, n, (nn2d_act)act);
            xs[0] = a, xs[1] = b;
            nn2d_dnnl_run(&ctx, op, xs, got);
            ok &= compare(act == 0 ? "add" : act == 1 ? "add relu" : "add relu6", got, want, NULL, 16 * U, n);
            nn2d_dnnl_op_free(op);
        }
        free(a), free(b), free(want), free(got);
    }
    { /* concat of three along channels */
        int c[3] = {2, 5, 3};
        size_t px = 2 * 3 * 4;
        float *x0 = rnd(px * 2, 1), *x1 = rnd(px * 5, 1), *x2 = rnd(px * 3, 1), want[240], got[240];
        xs[0] = x0, xs[1] = x1, xs[2] = x2;
        nn2d_ref_concat(px, 3, c, xs, want);
        nn2d_dnnl_op *op = nn2d_dnnl_concat_make(&ctx, px, 3, c);
        nn2d_dnnl_run(&ctx, op, xs, got);
        ok &= compare("concat 2+5+3", got, want, NULL, 0, px * 10);
        nn2d_dnnl_op_free(op);
        free(x0), free(x1), free(x2);
    }
    { /* dense + relu, then softmax */
        int B = 5, in = 300, out = 17;
        float *x = rnd((size_t)B * in, 1), *w = rnd((size_t)in * out, 0.1f), *b = rnd(out, 1);
        float want[85], got[85], sm_want[85], sm_got[85];
        nn2d_ref_dense(B, in, out, x, w, b, NN2D_ACT_RELU, want);
        nn2d_dnnl_op *op = nn2d_dnnl_dense_make(&ctx, B, in, out, w, b, NN2D_ACT_RELU);
        xs[0] = x;
        nn2d_dnnl_run(&ctx, op, xs, got);
        ok &= compare("dense 300->17 relu", got, want, NULL, 2 * in * U * in * 0.1 * 0.25 + 1e-6, (size_t)B * out);
        nn2d_dnnl_op_free(op);
        nn2d_ref_softmax(B, out, want, sm_want);
        op = nn2d_dnnl_softmax_make(&ctx, B, out);
        xs[0] = want;
        nn2d_dnnl_run(&ctx, op, xs, sm_got);
        ok &= compare("softmax 17", sm_got, sm_want, NULL, 2e-7, (size_t)B * out);
        nn2d_dnnl_op_free(op);
        free(x), free(w), free(b);
    }
    nn_dnnl_ctx_free(&ctx);
    assert_true(all_true(ok));
}

/* ---- a DAG on both backends ---- */

static void test_dag(void **state)
{
    (void)state;
    int ok = 1;
    enum { H = 13, W = 11, N = 5 };
    float *w1 = rnd(3 * 3 * 3 * 16, 0.3f), *b1 = rnd(16, 0.1f), *w2 = rnd(3 * 3 * 16, 0.3f), *b2 = rnd(16, 0.1f);
    float *w3 = rnd(16 * 16, 0.25f), *b3 = rnd(16, 0.1f), *wd = rnd(7 * 6 * 48 * 10, 0.02f), *bd = rnd(10, 0.1f);
    float *x = rnd((size_t)N * H * W * 3, 1);
    float *out[2];
    for (int be = 0; be < 2; be++) {
        cnn2d_model *m = cnn2d_new(H, W, 3, be);
        int p = cnn2d_add_zero_pad(m, "pad", 0, (nn2d_pad){0, 1, 0, 1});
        int c1 = cnn2d_add_conv(m, "c1", p, 3, 3, 2, 2, nn2d_pad_valid(), 1, 16, w1, b1, NN2D_ACT_RELU6);
        int d = cnn2d_add_conv(m, "dw", c1, 3, 3, 1, 1, nn2d_pad_same(7, 6, 3, 3, 1, 1), 16, 16, w2, b2, NN2D_ACT_RELU6);
        int pr = cnn2d_add_conv(m, "proj", d, 1, 1, 1, 1, nn2d_pad_valid(), 1, 16, w3, b3, NN2D_ACT_NONE);
        int a = cnn2d_add_add(m, "add", c1, pr, NN2D_ACT_NONE);
        int mp = cnn2d_add_pool(m, "max", CNN2D_MAXPOOL, a, 3, 3, 1, 1, nn2d_pad_same(7, 6, 3, 3, 1, 1));
        int ap = cnn2d_add_pool(m, "avg", CNN2D_AVGPOOL, a, 3, 3, 1, 1, nn2d_pad_same(7, 6, 3, 3, 1, 1));
        int cat_in[3] = {a, mp, ap};
        int cat = cnn2d_add_concat(m, "cat", 3, cat_in);
        int de = cnn2d_add_dense(m, "dense", cat, 10, wd, bd, NN2D_ACT_NONE);
        cnn2d_add_softmax(m, "softmax", de);
        cnn2d_finish(m);
        cnn2d_set_batch(m, 2); /* chunks of 2, 2 and 1: both primitive sets */
        assert_true(m->layers[a].fused == (be == CNN2D_BACKEND_DNNL));
        out[be] = xmalloc(N * 10 * sizeof(float));
        cnn2d_forward(m, N, x, out[be]);
        int th, tw, tc;
        cnn2d_tap_shape(m, &th, &tw, &tc);
        assert_int_equal(tc, 10);
        assert_int_equal(cnn2d_find(m, "cat"), cat);
        cnn2d_free(m);
    }
    ok &= compare("dag softmax dnnl vs ref", out[1], out[0], NULL, 1e-6, N * 10);
    free(out[0]), free(out[1]);
    free(w1), free(b1), free(w2), free(b2), free(w3), free(b3), free(wd), free(bd), free(x);
    assert_true(all_true(ok));
}

/* ---- the reference against torch ---- */

static float *read_f32(hid_t g, const char *name, size_t *n)
{
    if (H5Lexists(g, name, H5P_DEFAULT) <= 0) return NULL;
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT), s = H5Dget_space(d);
    size_t count = (size_t)H5Sget_simple_extent_npoints(s);
    float *v = xmalloc(count * sizeof *v);
    H5_CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    H5Sclose(s);
    H5Dclose(d);
    if (n) *n = count;
    return v;
}

static void test_ref_vs_torch(void **state)
{
    (void)state;
    const char *path = getenv("SYNOBS_NN2D_FIXTURE");
    if (!path || access(path, R_OK)) {
        printf("  SKIP reference vs torch: no fixture (%s); tests/make_nn2d_fixture.py needs torch\n", path ? path : "SYNOBS_NN2D_FIXTURE unset");
        return;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    int64_t ncases = 0;
    hid_t at = H5Aopen(f, "ncases", H5P_DEFAULT);
    H5_CHECK(H5Aread(at, H5T_NATIVE_INT64, &ncases));
    H5Aclose(at);
    int ok = 1;
    for (int k = 0; k < ncases; k++) {
        char gname[32], op[32];
        snprintf(gname, sizeof gname, "case%d", k);
        hid_t g = H5Gopen2(f, gname, H5P_DEFAULT);
        assert_int_equal(h5_attr_read_string(g, "op", op, sizeof op), 0);
        int p[15];
        at = H5Aopen(g, "p", H5P_DEFAULT);
        H5_CHECK(H5Aread(at, H5T_NATIVE_INT, p));
        H5Aclose(at);
        size_t ny, nw = 0, nx = 0;
        float *x0 = read_f32(g, "x0", &nx), *x1 = read_f32(g, "x1", NULL), *x2 = read_f32(g, "x2", NULL);
        float *w = read_f32(g, "w", &nw), *b = read_f32(g, "b", NULL), *want = read_f32(g, "y", &ny);
        float *got = xmalloc(ny * sizeof *got), *tol = xmalloc(ny * sizeof *tol);
        nn2d_pad pad = {p[8], p[9], p[10], p[11]};
        nn2d_act act = (nn2d_act)p[14];
        for (size_t i = 0; i < ny; i++) tol[i] = (float)(4 * U * fabs(want[i]) + 1e-7);
        if (!strcmp(op, "conv") || !strcmp(op, "conv_bn")) {
            nn2d_conv gm = {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], pad, p[12], p[13]};
            if (!strcmp(op, "conv_bn")) {
                float *gam = read_f32(g, "gamma", NULL), *bet = read_f32(g, "beta", NULL);
                float *mu = read_f32(g, "mean", NULL), *var = read_f32(g, "var", NULL);
                b = xcalloc((size_t)gm.cout, sizeof *b);
                nn2d_fold_bn(gm.kh, gm.kw, gm.c / gm.groups, gm.cout, w, b, gam, bet, mu, var, 1e-3);
                free(gam), free(bet), free(mu), free(var);
            }
            /* bound: the double sum rounded once, plus 2 K u S for the folded weights' rounding */
            float *ax = absv(x0, nx), *aw = absv(w, nw), *ab = absv(b, (size_t)gm.cout);
            nn2d_ref_conv(&gm, ax, aw, ab, NN2D_ACT_NONE, tol);
            for (size_t i = 0; i < ny; i++) tol[i] = (float)(4 * U * tol[i] + 1e-7);
            nn2d_ref_conv(&gm, x0, w, b, act, got);
            free(ax), free(aw), free(ab);
        } else if (!strcmp(op, "maxpool") || !strcmp(op, "avgpool")) {
            nn2d_pool gm = {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], pad};
            if (op[0] == 'm') nn2d_ref_maxpool(&gm, x0, got);
            else nn2d_ref_avgpool(&gm, x0, got);
        } else if (!strcmp(op, "gap")) {
            nn2d_ref_gap(p[0], p[1], p[2], p[3], x0, got);
        } else if (!strcmp(op, "zero_pad")) {
            nn2d_ref_zero_pad(p[0], p[1], p[2], p[3], pad, x0, got);
        } else if (!strcmp(op, "add")) {
            nn2d_ref_add(ny, x0, x1, act, got);
        } else if (!strcmp(op, "concat")) {
            int c[3] = {2, 5, 3};
            const float *xs[3] = {x0, x1, x2};
            nn2d_ref_concat((size_t)p[0] * p[1] * p[2], 3, c, xs, got);
        } else if (!strcmp(op, "dense")) {
            nn2d_ref_dense(p[0], p[1] * p[2] * p[3], p[13], x0, w, b, act, got);
        } else if (!strcmp(op, "softmax")) {
            nn2d_ref_softmax(p[0], p[3], x0, got);
        } else {
            fail_msg("unknown op %s in the fixture", op);
        }
        char what[80];
        snprintf(what, sizeof what, "torch %s (case %d)", op, k);
        ok &= compare(what, got, want, tol, 0, ny);
        free(x0), free(x1), free(x2), free(w), free(b), free(want), free(got), free(tol);
        H5Gclose(g);
    }
    H5Fclose(f);
    assert_true(all_true(ok));
}

static const struct CMUnitTest group[] = {cmocka_unit_test(test_dnnl_conv), cmocka_unit_test(test_dnnl_pool),
                                          cmocka_unit_test(test_dnnl_misc), cmocka_unit_test(test_dag),
                                          cmocka_unit_test(test_ref_vs_torch)};

MPI_TEST_MAIN(group)
