/**
 * @file test_metric_mlp.c
 * @brief The triplet MLP (spec/analogues.md §8, issue 18): the backward pass of the triplet loss
 * through the network against central finite differences, the L2 term's gradient, the dropout
 * masks, the triplet stream's labels (prose rule: the positive has the lower summed g; Score = 0
 * redrawn), and the chunk tree that makes 1, 2, 4 and 8 ranks add the same numbers.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mpi_test.h"

#include "core/rng.h"
#include "match/triplet.h"
#include "metric/metric_train.h"
#include "metric/mlp.h"

/* mean over the triplets of 2 sigma(d_ap - d_an) with fixed masks; g (if given) += its gradient */
static double objective(const mlp_shape *s, const float *p, const float *x, int T, const float *m0, const float *m1,
                        const float *m2, float *g)
{
    mlp_work w;
    mlp_work_init(&w, s, 3 * T);
    const float *rows[3 * T];
    for (int k = 0; k < 3 * T; k++) rows[k] = x + (size_t)k * s->C;
    mlp_forward(s, p, 3 * T, rows, m0, m1, m2, &w);
    const int D = s->D;
    double fa[D], fp[D], fn[D], ga[D], gp[D], gn[D], L = 0;
    for (int t = 0; t < T; t++) {
        const float *o = w.out + (size_t)3 * t * D;
        for (int j = 0; j < D; j++) fa[j] = o[j], fp[j] = o[D + j], fn[j] = o[2 * D + j];
        L += match_triplet_loss_grad(fa, fp, fn, (size_t)D, ga, gp, gn, NULL, NULL) / T;
        float *d = w.dout + (size_t)3 * t * D;
        for (int j = 0; j < D; j++) d[j] = (float)(ga[j] / T), d[D + j] = (float)(gp[j] / T), d[2 * D + j] = (float)(gn[j] / T);
    }
    if (g) mlp_backward(s, p, &w, g);
    mlp_work_free(&w);
    return L;
}

static void test_gradient_fd(void **state)
{
    (void)state;
    mlp_shape s;
    mlp_shape_init(&s, 7, 6, 5, 4);
    const int T = 3, m = 3 * T;
    float *p = malloc(s.n * sizeof *p), *g = calloc(s.n, sizeof *g);
    mlp_init(&s, p, 11);
    for (size_t i = 0; i < s.n; i++) p[i] += 0.05f * (float)((i * 37) % 11) / 11.0f; /* non-zero biases */
    float x[m * 7], m0[m * 7], m1[m * 6], m2[m * 5];
    rng r;
    rng_seed(&r, 5, 0);
    for (int i = 0; i < m * 7; i++) x[i] = (float)rng_uniform(&r) * 2.0f;
    for (int k = 0; k < m; k++) {
        mlp_dropout_mask(3, 1, k, 0, 0.3, 7, m0 + k * 7);
        mlp_dropout_mask(3, 1, k, 1, 0.3, 6, m1 + k * 6);
        mlp_dropout_mask(3, 1, k, 2, 0.3, 5, m2 + k * 5);
    }
    const double lambda = 0.05;
    objective(&s, p, x, T, m0, m1, m2, g);
    mlp_l2(&s, p, lambda, g);
    int bad = 0, checked = 0;
    for (size_t i = 0; i < s.n; i++) {
        const float h = 2e-3f, save = p[i];
        p[i] = save + h;
        double up = objective(&s, p, x, T, m0, m1, m2, NULL) + mlp_l2(&s, p, lambda, NULL);
        p[i] = save - h;
        double dn = objective(&s, p, x, T, m0, m1, m2, NULL) + mlp_l2(&s, p, lambda, NULL);
        p[i] = save;
        double fd = (up - dn) / ((double)(save + h) - (double)(save - h));
        checked++;
        if (fabs(fd - g[i]) > 2e-4 + 1e-2 * fabs(fd)) {
            if (bad < 5) print_message("param %zu: analytic %.6g, finite difference %.6g\n", i, (double)g[i], fd);
            bad++;
        }
    }
    print_message("gradient: %d of %d parameters off (a kink of |x| or ReLU inside +-h may explain one)\n", bad, checked);
    assert_true(bad <= checked / 100);
    free(p), free(g);
}

static void test_dropout_masks(void **state)
{
    (void)state;
    float a[4000], b[4000];
    mlp_dropout_mask(9, 17, 33, 1, 0.5, 4000, a);
    mlp_dropout_mask(9, 17, 33, 1, 0.5, 4000, b);
    assert_memory_equal(a, b, sizeof a); /* a pure function of (seed, step, sample, layer) */
    int kept = 0;
    for (int i = 0; i < 4000; i++) {
        assert_true(a[i] == 0.0f || a[i] == 2.0f);
        kept += a[i] != 0;
    }
    assert_true(kept > 1800 && kept < 2200);
    mlp_dropout_mask(9, 17, 34, 1, 0.5, 4000, b);
    assert_true(memcmp(a, b, sizeof a) != 0);
    mlp_dropout_mask(9, 17, 33, 1, 0.0, 4000, b);
    for (int i = 0; i < 4000; i++) assert_true(b[i] == 1.0f);
}

static void test_triplet_labels(void **state)
{
    (void)state;
    /* the prose rule on its own: Score > 0 -> (p, n) = (3, 2) */
    int pp, nn;
    assert_int_equal(match_triplet_label(0.25, &pp, &nn), 0);
    assert_int_equal(pp, 3), assert_int_equal(nn, 2);
    assert_int_equal(match_triplet_label(-0.25, &pp, &nn), 0);
    assert_int_equal(pp, 2), assert_int_equal(nn, 3);
    assert_int_equal(match_triplet_label(0.0, &pp, &nn), -1);
    /* the stream: many images share a metadata vector (Score = 0 happens) and zeros (dsize = 0) */
    enum { N = 40, K = 3, T = 2000 };
    double q[N * K];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < K; j++) q[i * K + j] = i < 20 ? 1.0 : (double)((i * (j + 3)) % 5);
    static int64_t trip[3 * T], again[3 * T];
    int64_t draws = metric_draw_triplets(42, 3, q, N, K, T, trip);
    assert_true(draws > T); /* some Score = 0 triplets were redrawn */
    for (int t = 0; t < T; t++) {
        const double *a = q + trip[3 * t] * K, *p = q + trip[3 * t + 1] * K, *n = q + trip[3 * t + 2] * K;
        double sp = 0, sn = 0;
        for (int j = 0; j < K; j++) sp += match_triplet_g(a[j], p[j]), sn += match_triplet_g(a[j], n[j]);
        assert_true(sp < sn); /* the positive is the member with the lower summed g */
        assert_true(match_triplet_score(a, p, n, K, NULL) < 0);
    }
    assert_int_equal(metric_draw_triplets(42, 3, q, N, K, T, again), draws);
    assert_memory_equal(trip, again, sizeof trip);
    metric_draw_triplets(42, 4, q, N, K, T, again);
    assert_true(memcmp(trip, again, sizeof trip) != 0); /* another epoch, another stream */
}

static void test_tree_split(void **state)
{
    (void)state;
    /* the 8-leaf tree equals the tree of 2 (or 4) locally summed subtrees, bit for bit */
    enum { n = 1000 };
    static float leaves[8 * n], copy[8 * n], slots[4 * n];
    rng r;
    rng_seed(&r, 1, 2);
    for (int i = 0; i < 8 * n; i++) leaves[i] = (float)(rng_normal(&r) * 1e3);
    for (int R = 2; R <= 4; R *= 2) {
        memcpy(copy, leaves, sizeof copy);
        for (int k = 0; k < R; k++) {
            mlp_tree_sum(copy + (size_t)k * (8 / R) * n, 8 / R, n);
            memcpy(slots + (size_t)k * n, copy + (size_t)k * (8 / R) * n, n * sizeof(float));
        }
        mlp_tree_sum(slots, R, n);
        memcpy(copy, leaves, sizeof copy);
        mlp_tree_sum(copy, 8, n);
        assert_memory_equal(copy, slots, n * sizeof(float));
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_gradient_fd), cmocka_unit_test(test_dropout_masks), cmocka_unit_test(test_triplet_labels),
    cmocka_unit_test(test_tree_split)};

MPI_TEST_MAIN(tests)
