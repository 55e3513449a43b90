/* The LTE line solver against the numbers of spec rt-solver.md: the LTE table (3), Einstein B
 * (2.3), Planck (10), widths (5), the analytic slab / velocity-gradient / thin / dust cases
 * (16.1), the Pomme reference images (16.2, shared/reference/rt), and the fast (SLEEF) column
 * against the plain reference column on a realistic cube (16.4 metric). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/check.h"
#include "io/h5util.h"
#include "io/lamda.h"
#include "mpi_test.h"
#include "rt/constants.h"
#include "rt/solver.h"

static lamda_data co;
static rt_line l10, l21;

static int setup(void **state)
{
    (void)state;
    if (lamda_read(SYNOBS_SOURCE_DIR "/inputs/co.dat", &co)) fail_msg("%s", error_message());
    if (rt_line_init(&l10, &co, 0, 28.0) || rt_line_init(&l21, &co, 1, 28.0)) fail_msg("%s", error_message());
    return 0;
}

static double rel(double a, double b) { return fabs(a - b) / fabs(b); }
#define assert_rel(a, b, tol)                                                                      \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(rel(a_, b_) <= (tol))) fail_msg("%s = %.12e, expected %.12e (rel %.2e > %.0e)", #a, a_, b_, rel(a_, b_), (double)(tol)); \
    } while (0)

static void test_line_data(void **state)
{
    (void)state;
    assert_int_equal(co.nlev, 41);
    assert_int_equal(co.nrad, 40);
    assert_rel(l10.Bul, 3.1893804832e9, 1e-9);
    assert_rel(l10.Blu, 9.5681414497e9, 1e-9);
    assert_rel(l21.Bul, 3.8247747586e9, 1e-9);
    assert_rel(l21.Blu, 6.3746245977e9, 1e-9);
    assert_rel(co.energy[1], 7.6379506939e-23, 1e-9);
    assert_rel(co.energy[2], 2.2913493923e-22, 1e-9);
    assert_rel(rt_planck(RT_T_CMB, 230.538e9), 3.1702915547e-18, 1e-9);
    assert_rel(rt_planck(RT_T_CMB, 115.2712018e9), 3.4140094630e-18, 1e-9);
}

static void test_lte_table(void **state)
{
    (void)state;
    /* spec 3: T, Z, p(J=1), p(J=2), 2-1 eta, chi, S, width (v_turb 150), 1-0 chi, S */
    static const double tab[7][10] = {
        {10, 3.9681176455, 4.3478915539e-01, 2.3967497744e-01, 2.0132116232e-30, 2.2548240716e-14, 8.9284643028e-17, 1.2968156102e5, 6.2272834238e-15, 3.0567538805e-17},
        {20, 7.5735602001, 3.0039463149e-01, 2.8793107430e-01, 2.4185511215e-30, 9.8904588776e-15, 2.4453376243e-16, 1.4258074586e5, 1.8555694011e-15, 7.0875374370e-17},
        {50, 18.415194149, 1.4584560636e-01, 1.9482341355e-01, 1.6364693755e-30, 2.2434440551e-15, 7.2944514562e-16, 1.7568481594e5, 3.3077869920e-16, 1.9303506967e-16},
        {100, 36.495622699, 7.7777624627e-02, 1.1605208549e-01, 9.7480934348e-31, 6.3125903917e-16, 1.5442303127e-15, 2.2005672828e5, 8.5761001136e-17, 3.9705003124e-16},
        {300, 108.86529450, 2.7053484014e-02, 4.3456538197e-02, 3.6502437067e-31, 7.5905776826e-17, 4.8089142346e-15, 3.4447670471e5, 9.7606623177e-18, 1.2134567889e-15},
        {1000, 359.10497386, 8.3080146589e-03, 1.3694335269e-02, 1.1502909161e-31, 7.0835934420e-18, 1.6238804859e-14, 6.0373961903e5, 8.9344121863e-19, 4.0710990674e-15},
        {3000, 856.19621922, 3.4974143605e-03, 5.8075660265e-03, 4.8782144688e-32, 9.9765853150e-19, 4.8896634618e-14, 1.0329055581e6, 1.2513915336e-19, 1.2235853761e-14},
    };
    for (int i = 0; i < 7; i++) {
        const double *r = tab[i];
        double pu, pl, z, eta, chi, S, w;
        rt_line_pops(&l21, r[0], &pu, &pl, &z);
        assert_rel(z, r[1], 1e-9);
        assert_rel(pl, r[2], 1e-9);
        assert_rel(pu, r[3], 1e-9);
        rt_line_point(&l21, r[0], 150.0, &eta, &chi, &S, &w);
        assert_rel(eta, r[4], 1e-9);
        assert_rel(chi, r[5], 1e-9);
        assert_rel(S, r[6], 1e-9);
        assert_rel(w, r[7], 1e-9);
        rt_line_point(&l10, r[0], 150.0, &eta, &chi, &S, &w);
        assert_rel(chi, r[8], 1e-9);
        assert_rel(S, r[9], 1e-9);
    }
    double eta, chi, S, w;
    rt_line_point(&l21, 20.0, 0.0, &eta, &chi, &S, &w);
    assert_rel(w, 8.380885e4, 1e-6); /* spec 5, printed to 7 digits */
    rt_line_point(&l21, 100.0, 0.0, &eta, &chi, &S, &w);
    assert_rel(w, 1.874023e5, 1e-6);
}

/* ---- analytic cases (spec 16.1): one ray of NZ points, 61 channels at -3..3 km/s ---- */
enum { NZ = 64, NF = 61 };
static const double DX = 1e12;

static void channels(const rt_line *L, double *nu)
{
    for (int f = 0; f < NF; f++) nu[f] = (1.0 + (-3000.0 + 100.0 * f) / RT_C) * L->nu0;
}

/* Solve one column with both solvers; return the worst relative error of each against want. */
static void solve_both(const rt_setup *s, const double *vz, const double *T, const double *n, const double *want,
                       double *err_ref, double *err_fast)
{
    double ibdy[NF], Iref[NF], Ifast[NF];
    rt_boundary_intensity(s, ibdy);
    rt_column_reference(s, NZ, vz, T, n, NULL, ibdy, Iref);
    rt_work *w = rt_work_new(NZ);
    rt_columns_fast(s, w, 1, NZ, vz, T, n, NULL, ibdy, Ifast);
    rt_work_free(w);
    *err_ref = *err_fast = 0;
    for (int f = 0; f < s->nfreq; f++) {
        *err_ref = fmax(*err_ref, rel(Iref[f], want[f]));
        *err_fast = fmax(*err_fast, rel(Ifast[f], want[f]));
    }
}

static void check_case(const char *name, double er, double ef, double tol)
{
    print_message("  %-28s reference %.2e  fast %.2e  (tolerance %.0e)\n", name, er, ef, tol);
    if (!(er <= tol && ef <= tol)) fail_msg("%s: errors %.3e / %.3e exceed %.0e", name, er, ef, tol);
}

static void test_analytic_line(void **state)
{
    (void)state;
    double nu[NF], vz[NZ], T[NZ], n[NZ], want[NF], ibdy[NF], er, ef, eta, chi, S, w;
    channels(&l21, nu);
    rt_setup s = {.mode = RT_MODE_LINE, .line = &l21, .nfreq = NF, .freq = nu, .dx = DX, .v_turb = 150.0,
                  .boundary = RT_BOUNDARY_CMB};
    rt_boundary_intensity(&s, ibdy);
    rt_line_point(&l21, 100.0, 150.0, &eta, &chi, &S, &w);
    const double L = (NZ - 1) * DX;
    /* L1: homogeneous static slab */
    const double n1[4] = {1e4, 1e6, 1e8, 1e10};
    for (int c = 0; c < 4; c++) {
        for (int k = 0; k < NZ; k++) vz[k] = 0, T[k] = 100, n[k] = n1[c];
        for (int f = 0; f < NF; f++) {
            double x = (nu[f] - l21.nu0) / w, tau = L * n1[c] * chi * exp(-x * x) / (RT_SQRT_PI * w);
            want[f] = ibdy[f] * exp(-tau) + S * -expm1(-tau);
        }
        solve_both(&s, vz, T, n, want, &er, &ef);
        char name[64];
        snprintf(name, sizeof name, "L1 slab n=%.0e", n1[c]);
        check_case(name, er, ef, 1e-8);
    }
    /* L2: constant velocity gradient */
    const double n2[4] = {1e6, 1e8, 1e8, 1e10}, v2[4] = {2e3, 2e3, 2e4, 2e4};
    for (int c = 0; c < 4; c++) {
        for (int k = 0; k < NZ; k++) vz[k] = v2[c] * k / (NZ - 1), T[k] = 100, n[k] = n2[c];
        for (int f = 0; f < NF; f++) {
            double b0 = (nu[f] - l21.nu0) / w, bl = ((1 + v2[c] / RT_C) * nu[f] - l21.nu0) / w;
            double tau = n2[c] * chi * L / (2 * w) * (erf(bl) - erf(b0)) / (bl - b0);
            want[f] = ibdy[f] * exp(-tau) + S * -expm1(-tau);
        }
        solve_both(&s, vz, T, n, want, &er, &ef);
        char name[64];
        snprintf(name, sizeof name, "L2 gradient n=%.0e v=%.0f", n2[c], v2[c]);
        check_case(name, er, ef, 1e-8);
    }
    /* L3: optically thin, zero boundary: I = L n eta phi to first order in tau */
    s.boundary = RT_BOUNDARY_ZERO;
    for (int k = 0; k < NZ; k++) vz[k] = 0, T[k] = 100, n[k] = 1e2;
    for (int f = 0; f < NF; f++) {
        double x = (nu[f] - l21.nu0) / w;
        want[f] = L * 1e2 * eta * exp(-x * x) / (RT_SQRT_PI * w);
    }
    solve_both(&s, vz, T, n, want, &er, &ef);
    check_case("L3 thin (first order)", er, ef, 2e-5);
}

static void test_analytic_dust(void **state)
{
    (void)state;
    double nu[1] = {230.538e9}, vz[NZ] = {0}, T[NZ], n[NZ], want[1], ibdy[1], er, ef;
    rt_setup s = {.mode = RT_MODE_DUST, .dust = {0.01, 1e12, 1.0, 1e-4, 2.8}, .nfreq = 1, .freq = nu, .dx = DX,
                  .boundary = RT_BOUNDARY_CMB};
    const double kappa = 0.01 * nu[0] / 1e12, L = (NZ - 1) * DX, to_n = 1e-4 / (2.8 * RT_AMU);
    rt_boundary_intensity(&s, ibdy);
    const double rho1[3] = {1e-16, 1e-13, 1e-11};
    for (int c = 0; c < 3; c++) { /* D1: isothermal dust slab */
        for (int k = 0; k < NZ; k++) T[k] = 50, n[k] = rho1[c] * to_n;
        double tau = L * kappa * rho1[c];
        want[0] = ibdy[0] * exp(-tau) + rt_planck(50, nu[0]) * -expm1(-tau);
        solve_both(&s, vz, T, n, want, &er, &ef);
        char name[64];
        snprintf(name, sizeof name, "D1 dust slab rho=%.0e", rho1[c]);
        check_case(name, er, ef, 1e-8);
    }
    s.boundary = RT_BOUNDARY_ZERO; /* D2: source function linear along the ray */
    const double rho2[3] = {1e-13, 1e-12, 1e-11}, S0 = rt_planck(20, nu[0]), S1 = rt_planck(200, nu[0]);
    double S[NZ];
    for (int k = 0; k < NZ; k++) {
        S[k] = S0 + (S1 - S0) * k / (NZ - 1);
        T[k] = RT_H * nu[0] / (RT_KB * log1p(2 * RT_H * nu[0] * nu[0] * nu[0] / (RT_C * RT_C * S[k])));
    }
    for (int c = 0; c < 3; c++) {
        for (int k = 0; k < NZ; k++) n[k] = rho2[c] * to_n;
        double tn = L * kappa * rho2[c], sl = (S[NZ - 1] - S[0]) / tn;
        want[0] = S[0] * -expm1(-tn) + sl * (1 - exp(-tn) * (1 + tn));
        solve_both(&s, vz, T, n, want, &er, &ef);
        char name[64];
        snprintf(name, sizeof name, "D2 dust linear S rho=%.0e", rho2[c]);
        check_case(name, er, ef, 1e-8);
    }
}

/* ---- the Pomme reference images (spec 16.2) ---- */
static void read_f64(hid_t g, const char *name, double *buf)
{
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    assert_true(d >= 0 && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    H5Dclose(d);
}

static void test_pomme_reference(void **state)
{
    (void)state;
    hid_t f = H5Fopen(SYNOBS_SOURCE_DIR "/tests/data/rt_reference_16.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    enum { N = 16 };
    static double vz[N * N * N], T[N * N * N], n[N * N * N], nu[7], Iref[N * N * 7], Ifast[N * N * 7], Islow[N * N * 7];
    const char *cases[4] = {"A", "B", "C", "D"};
    for (int c = 0; c < 4; c++) {
        hid_t g = H5Gopen2(f, cases[c], H5P_DEFAULT);
        double dx, vt, t;
        char bnd[16];
        assert_int_equal(h5_attr_read_f64(g, "dx", &dx), 0);
        assert_int_equal(h5_attr_read_f64(g, "v_turb", &vt), 0);
        assert_int_equal(h5_attr_read_f64(g, "transition_index", &t), 0);
        assert_int_equal(h5_attr_read_string(g, "boundary", bnd, sizeof bnd), 0);
        hid_t d = H5Dopen2(g, "frequencies", H5P_DEFAULT), sp = H5Dget_space(d);
        int nf = (int)H5Sget_simple_extent_npoints(sp);
        H5Sclose(sp);
        H5Dclose(d);
        read_f64(g, "v_z", vz);
        read_f64(g, "T", T);
        read_f64(g, "n_CO", n);
        read_f64(g, "frequencies", nu);
        read_f64(g, "I", Iref);
        rt_setup s = {.mode = RT_MODE_LINE, .line = t == 0 ? &l10 : &l21, .nfreq = nf, .freq = nu, .dx = dx,
                      .v_turb = vt, .boundary = strcmp(bnd, "cmb") == 0 ? RT_BOUNDARY_CMB : RT_BOUNDARY_ZERO};
        assert_int_equal(rt_check_model(N, N, N, vz, T, n, NULL), 0);
        rt_image(&s, N, N, N, vz, T, n, Ifast, 2);
        rt_image_reference(&s, N, N, N, vz, T, n, Islow);
        double ef = 0, er = 0;
        for (int i = 0; i < N * N * nf; i++) {
            ef = fmax(ef, rel(Ifast[i], Iref[i]));
            er = fmax(er, rel(Islow[i], Iref[i]));
        }
        char name[64];
        snprintf(name, sizeof name, "Pomme case %s (e_plain)", cases[c]);
        check_case(name, er, ef, 1e-8);
        H5Gclose(g);
    }
    H5Fclose(f);
}

/* ---- the ln Z table of the fast solver against the direct sum (partition.h) ---- */
static void test_partition_table(void **state)
{
    (void)state;
    const rt_lnz_table *t = &l21.lnz;
    double worst = 0, at = 0;
    for (int j = 0; j <= 400000; j++) {
        double T = t->T_lo * pow(t->T_hi / t->T_lo, j / 400000.0), pu, pl, z;
        rt_line_pops(&l21, T, &pu, &pl, &z);
        double e = fabs(exp(rt_lnz_table_eval(t, log(T))) - z) / z;
        if (e > worst) worst = e, at = T;
    }
    print_message("  ln Z table (%d nodes, %.1f-%.0e K) vs the sum over %d CO levels: worst relative %.2e at %.2f K\n",
                  t->n, t->T_lo, t->T_hi, l21.nlev, worst, at);
    assert_true(worst <= 1e-12);
}

/* ---- fast against reference on a wind-like 32^3 cube, metric of spec 16.4 ---- */
static void test_fast_vs_reference(void **state)
{
    (void)state;
    enum { G = 32, F = 7 };
    size_t g3 = (size_t)G * G * G;
    double *vz = xmalloc(3 * g3 * sizeof *vz), *T = vz + g3, *n = T + g3, nu[F];
    double *Ia = xmalloc(2 * (size_t)G * G * F * sizeof *Ia), *Ib = Ia + (size_t)G * G * F;
    for (int f = 0; f < F; f++) nu[f] = l21.nu0 * (1 + (f - 3) * 300.0 / RT_C);
    for (int x = 0; x < G; x++)
        for (int y = 0; y < G; y++)
            for (int z = 0; z < G; z++) {
                size_t i = ((size_t)x * G + y) * G + z;
                double dx = x - 15.5, dy = y - 15.5, dz = z - 15.5, r = sqrt(dx * dx + dy * dy + dz * dz);
                vz[i] = 14e3 * dz / r + 3e3 * sin(0.7 * x + 0.3 * y) ;
                T[i] = fmax(2000.0 * pow(r, -0.8), 20.0);
                n[i] = 1e11 * pow(r, -2.0) * (1 + 0.5 * sin(1.3 * r));
            }
    rt_setup s = {.mode = RT_MODE_LINE, .line = &l21, .nfreq = F, .freq = nu, .dx = 9.06e11, .v_turb = 0.0,
                  .boundary = RT_BOUNDARY_ZERO};
    rt_image(&s, G, G, G, vz, T, n, Ia, 1);
    rt_image_reference(&s, G, G, G, vz, T, n, Ib);
    double mf[F] = {0}, eabs = 0, erel = 0;
    for (size_t p = 0; p < (size_t)G * G; p++)
        for (int f = 0; f < F; f++) mf[f] = fmax(mf[f], fabs(Ib[p * F + f]));
    for (size_t p = 0; p < (size_t)G * G; p++)
        for (int f = 0; f < F; f++) {
            double d = fabs(Ia[p * F + f] - Ib[p * F + f]);
            eabs = fmax(eabs, d / mf[f]);
            if (fabs(Ib[p * F + f]) >= 1e-3 * mf[f]) erel = fmax(erel, d / fabs(Ib[p * F + f]));
        }
    print_message("  fast (width %d) vs reference, 32^3 wind: E_rel %.2e  E_abs %.2e\n", rt_fast_width(), erel, eabs);
    assert_true(erel <= 2e-8 && eabs <= 1e-9);
    /* the dust mode on the same cube (its fast path differs from the reference only by SLEEF's
     * expm1 and the fast exp; no cancelling branch, so a tight bound) */
    s.mode = RT_MODE_DUST;
    s.dust = (rt_dust){0.01, 1e12, 1.0, 1e-4, 2.8};
    s.boundary = RT_BOUNDARY_CMB;
    rt_image(&s, G, G, G, vz, T, n, Ia, 1);
    rt_image_reference(&s, G, G, G, vz, T, n, Ib);
    double md[F] = {0}, dabs = 0, drel = 0;
    for (size_t p = 0; p < (size_t)G * G; p++)
        for (int f = 0; f < F; f++) md[f] = fmax(md[f], fabs(Ib[p * F + f]));
    for (size_t p = 0; p < (size_t)G * G; p++)
        for (int f = 0; f < F; f++) {
            double d = fabs(Ia[p * F + f] - Ib[p * F + f]);
            dabs = fmax(dabs, d / md[f]);
            drel = fmax(drel, d / fabs(Ib[p * F + f]));
        }
    print_message("  fast vs reference, dust on the 32^3 wind: max relative %.2e  E_abs %.2e\n", drel, dabs);
    assert_true(drel <= 1e-12);
    free(vz);
    free(Ia);
}

/* ---- the fast kernel's inlined exp against glibc's (solver_fast.c): at most 1 ulp ---- */
static void test_fast_exp(void **state)
{
    (void)state;
    enum { NX = 2000000 };
    double *x = xmalloc(2 * (size_t)NX * sizeof *x), *y = x + NX, worst = 0, at = 0;
    unsigned long long r = 88172645463325252ULL;
    for (int i = 0; i < NX; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17; /* xorshift64 */
        double u = (double)(r >> 11) * 0x1p-53;
        /* half of them uniform in [-760, 1], half in [-1e-3, 1e-3] (the small optical depths) */
        x[i] = i % 2 ? -760.0 + 761.0 * u : (u - 0.5) * 2e-3;
    }
    rt_fast_exp(x, y, NX);
    for (int i = 0; i < NX; i++) {
        double e = exp(x[i]), d = fabs(y[i] - e);
        if (e == 0 ? y[i] != 0 : d / (nextafter(e, INFINITY) - e) > worst) worst = e == 0 ? INFINITY : d / (nextafter(e, INFINITY) - e), at = x[i];
    }
    print_message("  fast exp vs glibc exp on %d arguments: worst %.2f ulp at %.17g\n", NX, worst, at);
    assert_true(worst <= 1.0);
    free(x);
}

static void test_bad_model(void **state)
{
    (void)state;
    double vz[8] = {0}, T[8] = {10, 10, 10, 10, 10, 10, 0, 10}, n[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(rt_check_model(2, 2, 2, vz, T, n, NULL), -1);
    assert_non_null(strstr(error_message(), "cell [1][1][0]: T"));
    error_clear();
    T[6] = 10;
    n[3] = NAN;
    assert_int_equal(rt_check_model(2, 2, 2, vz, T, n, NULL), -1);
    assert_non_null(strstr(error_message(), "cell [0][1][1]: n_CO"));
    error_clear();
    assert_int_equal(rt_check_model(4, 2, 1, vz, T, n, NULL), -1);
    error_clear();
}

static const struct CMUnitTest group[] = {
    cmocka_unit_test(test_line_data),      cmocka_unit_test(test_lte_table),       cmocka_unit_test(test_analytic_line),
    cmocka_unit_test(test_analytic_dust),  cmocka_unit_test(test_pomme_reference), cmocka_unit_test(test_fast_vs_reference),
        cmocka_unit_test(test_partition_table), cmocka_unit_test(test_fast_exp),
    cmocka_unit_test(test_bad_model),
};
int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    log_init(0, 1, true);
    h5_quiet();
    int fails = cmocka_run_group_tests(group, setup, NULL);
    MPI_Finalize();
    return fails ? 1 : 0;
}
