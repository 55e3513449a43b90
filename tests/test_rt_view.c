/* Rotated views: a quarter turn about the line of sight permutes the image's pixels exactly; a
 * homogeneous sphere in Hubble flow (a field trilinear interpolation reproduces exactly) gives the
 * same image from every direction; the wind generator is deterministic per seed. */
#include <math.h>
#include <string.h>

#include "core/check.h"
#include "io/lamda.h"
#include "mpi_test.h"
#include "rt/constants.h"
#include "rt/solver.h"
#include "rt/view.h"
#include "rt/wind.h"

enum { G = 16, F = 7 };
#define G3 ((size_t)G * G * G)
static lamda_data co;
static rt_line l21;
static double nu[F];

static int setup(void **state)
{
    (void)state;
    if (rt_line_load(SYNOBS_SOURCE_DIR "/inputs/co.dat", 2, 28.0, &co, &l21)) fail_msg("%s", error_message());
    for (int f = 0; f < F; f++) nu[f] = l21.nu0 * (1 + (f - 3) * 300.0 / RT_C);
    return 0;
}

static rt_setup line_setup(void)
{
    return (rt_setup){.mode = RT_MODE_LINE, .line = &l21, .nfreq = F, .freq = nu, .dx = 1e12, .boundary = RT_BOUNDARY_ZERO};
}

static void view_and_solve(const double R[9], const double *m, double *I)
{
    double *o = xmalloc(3 * G3 * sizeof *o);
    view_resample(R, G, m, m + G3, m + 2 * G3, m + 3 * G3, m + 4 * G3, G, 20.0, 1.0, o, o + G3, o + 2 * G3);
    rt_setup s = line_setup();
    rt_image(&s, G, G, G, o, o + G3, o + 2 * G3, I, 1);
    free(o);
}

static void wind_model(double *m, uint64_t seed)
{
    wind_ranges rg = {{1e-6, 10e3, 1, 100, 10, 0.3, 2, 0.1, 1, 0.2, 2500, 0.7, 5e-4, 200, 1},
                      {1e-6, 10e3, 1, 100, 10, 0.3, 2, 0.1, 1, 0.2, 2500, 0.7, 5e-4, 200, 1}, 1.0};
    rng r;
    rng_seed(&r, seed, 0);
    wind_params p;
    wind_draw(&rg, &r, &p);
    wind_fill(&p, G, 2 * 2.9e13 / G, 20.0, m, m + G3, m + 2 * G3, m + 3 * G3, m + 4 * G3);
}

static void test_quarter_turn_permutes(void **state)
{
    (void)state;
    double *m = xmalloc(5 * G3 * sizeof *m), *I0 = xmalloc(2 * (size_t)G * G * F * sizeof *I0), *I1 = I0 + G * G * F;
    wind_model(m, 7);
    double R[9];
    view_identity(R);
    view_and_solve(R, m, I0);
    view_rotation_z(90.0, R);
    view_and_solve(R, m, I1);
    /* p' = R p: (x, y) -> (-y, x), i.e. pixel [i][j] moves to [G-1-j][i] */
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++)
            assert_memory_equal(I0 + ((size_t)i * G + j) * F, I1 + ((size_t)(G - 1 - j) * G + i) * F, F * sizeof(double));
    free(m);
    free(I0);
}

static void test_symmetric_model_same_from_every_direction(void **state)
{
    (void)state;
    double *m = xmalloc(5 * G3 * sizeof *m), *I0 = xmalloc(2 * (size_t)G * G * F * sizeof *I0), *I1 = I0 + G * G * F;
    for (int i = 0; i < G; i++) /* homogeneous gas in Hubble flow v = H r: linear, so resampled exactly */
        for (int j = 0; j < G; j++)
            for (int k = 0; k < G; k++) {
                size_t q = ((size_t)i * G + j) * G + k;
                m[q] = 150.0 * (i + 0.5 - G / 2), m[G3 + q] = 150.0 * (j + 0.5 - G / 2), m[2 * G3 + q] = 150.0 * (k + 0.5 - G / 2);
                m[3 * G3 + q] = 60.0, m[4 * G3 + q] = 3e6;
            }
    double R[9];
    view_identity(R);
    view_and_solve(R, m, I0);
    rng r;
    rng_seed(&r, 99, 0);
    double worst = 0, peak = 0;
    for (size_t p = 0; p < (size_t)G * G * F; p++) peak = fmax(peak, I0[p]);
    for (int v = 0; v < 8; v++) {
        view_random_rotation(&r, R);
        view_and_solve(R, m, I1);
        for (size_t p = 0; p < (size_t)G * G * F; p++) worst = fmax(worst, fabs(I1[p] - I0[p]) / peak);
    }
    print_message("  homogeneous Hubble-flow sphere, 8 random views: max |dI| / max I = %.2e\n", worst);
    assert_true(worst < 1e-9);
    free(m);
    free(I0);
}

static void test_wind_deterministic(void **state)
{
    (void)state;
    double *a = xmalloc(10 * G3 * sizeof *a), *b = a + 5 * G3;
    wind_model(a, 3);
    wind_model(b, 3);
    assert_memory_equal(a, b, 5 * G3 * sizeof *a);
    for (size_t i = 0; i < G3; i++) {
        assert_true(a[3 * G3 + i] >= 20.0);
        assert_true(a[4 * G3 + i] > 0.0);
    }
    free(a);
}

static const struct CMUnitTest group[] = {
    cmocka_unit_test(test_quarter_turn_permutes),
    cmocka_unit_test(test_symmetric_model_same_from_every_direction),
    cmocka_unit_test(test_wind_deterministic),
};
int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    log_init(0, 1, true);
    int fails = cmocka_run_group_tests(group, setup, NULL);
    MPI_Finalize();
    return fails ? 1 : 0;
}
