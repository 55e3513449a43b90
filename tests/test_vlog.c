/* The vector log (libmvec, documented within 4 ulp) against glibc's scalar log: across exponents, at every table edge, near 1, at the ends
 * of the float range and for the inputs that take the fallback. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "mpi_test.h"
#include "stats/vlog.h"

enum { N = 1 << 20 };

static double worst(const float *x, size_t n)
{
    static double y[N], ref[N];
    vlog_f32_to_f64(x, y, n);
    vlog_f32_to_f64_reference(x, ref, n);
    double w = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(ref[i]) || isinf(ref[i])) {
            if (memcmp(&y[i], &ref[i], sizeof y[i]) != 0 && !(isnan(y[i]) && isnan(ref[i]))) return INFINITY;
            continue;
        }
        double e = fabs(y[i] - ref[i]) / fmax(1.0, fabs(ref[i]));
        w = e > w ? e : w;
    }
    return w;
}

static void test_against_glibc(void **state)
{
    (void)state;
    static float x[N];
    rng r;
    rng_seed(&r, 11, 0);
    for (size_t i = 0; i < N; i++) {               /* random bit patterns of positive normal floats */
        uint32_t b = (uint32_t)(rng_u64(&r) % (0x7f7fffffu - 0x00800000u)) + 0x00800000u;
        memcpy(&x[i], &b, sizeof b);
    }
    double w = worst(x, N);
    if (w > 4.5e-16) fail_msg("random floats: worst error %.3e", w);
    size_t k = 0;                                  /* every table edge and its neighbours, near 1 and far */
    for (int e = -126; e <= 127 && k + 3 * 128 < N; e += 9)
        for (int j = 0; j < 128; j++) {
            float c = ldexpf(1.0f + j / 128.0f, e);
            x[k++] = c;
            x[k++] = nextafterf(c, 0);
            x[k++] = nextafterf(c, INFINITY);
        }
    for (int i = 1; i < 5000; i++) { x[k++] = 1.0f + i * FLT_EPSILON; x[k++] = 1.0f - i * FLT_EPSILON / 2; }
    w = worst(x, k);
    if (w > 4.5e-16) fail_msg("edges: worst error %.3e", w);
    float special[] = {FLT_MIN, FLT_MAX, 1e-45f, 1e-40f, 0.0f, -0.0f, -1.0f, INFINITY, NAN, 1.0f, 2.0f, 0.5f};
    w = worst(special, sizeof special / sizeof *special);
    if (w > 4.5e-16) fail_msg("special values: worst error %.3e", w);
}

static const struct CMUnitTest group[] = {
    cmocka_unit_test(test_against_glibc),
};
MPI_TEST_MAIN(group)
