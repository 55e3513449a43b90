/* Chan merge and the shifted block sums against a two-pass computation in long double. */
#include <math.h>

#include "core/rng.h"
#include "mpi_test.h"
#include "stats/moments.h"
#include "stats/vlog.h"

static void two_pass(const float *x, size_t n, long double *mean, long double *var)
{
    long double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    *mean = s / n;
    long double q = 0;
    for (size_t i = 0; i < n; i++) q += (x[i] - *mean) * (x[i] - *mean);
    *var = q / n;
}

static void accumulate(const float *x, size_t n, moments *out)
{
    moments_acc a;
    moments_acc_start(&a, (double)x[0]);
    for (size_t i = 0; i < n; i += MOMENTS_BLOCK) {
        float mn, mx;
        size_t bad;
        moments_acc_add_f32(&a, x + i, n - i < MOMENTS_BLOCK ? n - i : MOMENTS_BLOCK, &mn, &mx, &bad);
        assert_int_equal(bad, 0);
    }
    moments_acc_finish(&a, out);
}

static void test_chan_merge_against_two_pass(void **state)
{
    (void)state;
    enum { N = 100003 };
    static float x[N];
    rng r;
    rng_seed(&r, 7, 0);
    /* a large offset over a small spread: where a naive sum of squares loses everything */
    for (size_t i = 0; i < N; i++) x[i] = (float)(1e4 + 0.5 * rng_normal(&r));
    long double lm, lv;
    two_pass(x, N, &lm, &lv);
    size_t cuts[] = {1, 2, 7, 1000, 50000};
    for (size_t c = 0; c < sizeof cuts / sizeof *cuts; c++) {
        moments total;
        moments_zero(&total);
        size_t piece = (N + cuts[c] - 1) / cuts[c];
        for (size_t i = 0; i < N; i += piece) {
            moments m;
            accumulate(x + i, N - i < piece ? N - i : piece, &m);
            moments_merge(&total, &m);
        }
        assert_true(total.n == N);
        double em = fabs(moments_mean(&total) - (double)lm) / fabs((double)lm);
        double ev = fabs(moments_variance(&total) - (double)lv) / (double)lv;
        if (em > 1e-15 || ev > 1e-13) fail_msg("%zu pieces: mean err %.2e, variance err %.2e", cuts[c], em, ev);
    }
}

static void test_merge_identities(void **state)
{
    (void)state;
    float a[3] = {1, 2, 3}, b[2] = {10, 20};
    moments ma, mb, e;
    accumulate(a, 3, &ma);
    accumulate(b, 2, &mb);
    moments_zero(&e);
    moments_merge(&e, &ma); /* empty on the left */
    assert_true(moments_mean(&e) == 2.0);
    moments_merge(&ma, &mb);
    assert_true(fabs(moments_mean(&ma) - 7.2) < 1e-15);
    /* population variance of {1,2,3,10,20}: squared deviations from 7.2 sum to 254.8, /5 = 50.96 */
    assert_true(fabs(moments_variance(&ma) - 50.96) < 1e-13);
}

static void test_nonfinite_flagged(void **state)
{
    (void)state;
    float x[40];
    for (int i = 0; i < 40; i++) x[i] = (float)i;
    x[17] = NAN;
    x[33] = INFINITY;
    moments_acc a;
    moments_acc_start(&a, 0);
    float mn, mx;
    size_t bad;
    moments_acc_add_f32(&a, x, 40, &mn, &mx, &bad);
    assert_int_equal(bad, 2);
}

static void test_double_double(void **state)
{
    (void)state;
    ddouble third = dd_div(dd_from(1.0), dd_from(3.0));
    ddouble back = dd_mul(third, dd_from(3.0));
    assert_true(fabs(back.hi - 1.0 + back.lo) < 1e-30);
    ddouble s = dd_add(dd_from(1.0), dd_from(1e-20));
    assert_true(s.hi == 1.0 && s.lo == 1e-20);
}

/* The one-sweep kernel (linear and log moments together) gives the same bits as the separate path
 * (moments_acc_add_f32, vlog_f32_to_f64, moments_acc_add_f64), for full and short blocks and for a
 * block with a subnormal value (which takes the kernel's fallback for the logs). */
static void test_fused_log_kernel(void **state)
{
    (void)state;
    enum { N = 3 * MOMENTS_BLOCK + 37 };
    static float x[N];
    static double y[MOMENTS_BLOCK];
    rng r;
    rng_seed(&r, 5, 0);
    for (size_t i = 0; i < N; i++) x[i] = (float)exp(20.0 + 3.0 * rng_normal(&r));
    x[MOMENTS_BLOCK + 5] = 1e-40f; /* subnormal */
    moments_acc a_lin, a_log, b_lin, b_log;
    moments_acc_start(&a_lin, 3e8);
    moments_acc_start(&a_log, 20.0);
    b_lin = a_lin;
    b_log = a_log;
    for (size_t i = 0; i < N; i += MOMENTS_BLOCK) {
        size_t n = N - i < MOMENTS_BLOCK ? N - i : MOMENTS_BLOCK, bad1, bad2;
        float mn1, mx1, mn2, mx2;
        moments_acc_add_f32_log(&a_lin, &a_log, x + i, n, &mn1, &mx1, &bad1);
        moments_acc_add_f32(&b_lin, x + i, n, &mn2, &mx2, &bad2);
        vlog_f32_to_f64(x + i, y, n);
        moments_acc_add_f64(&b_log, y, n);
        assert_true(mn1 == mn2 && mx1 == mx2 && bad1 == bad2);
    }
    printf("  one sweep: log mean sums %.17g / %.17g, separate: %.17g / %.17g\n", a_log.s1.hi, a_log.s2.hi, b_log.s1.hi,
           b_log.s2.hi);
    assert_memory_equal(&a_lin, &b_lin, sizeof a_lin);
    assert_memory_equal(&a_log, &b_log, sizeof a_log);
}

static const struct CMUnitTest group[] = {
    cmocka_unit_test(test_fused_log_kernel),
    cmocka_unit_test(test_chan_merge_against_two_pass),
    cmocka_unit_test(test_merge_identities),
    cmocka_unit_test(test_nonfinite_flagged),
    cmocka_unit_test(test_double_double),
};
MPI_TEST_MAIN(group)
