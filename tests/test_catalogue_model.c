/* The forming-binary model and its images (spec catalogue.md 5): the cone's projection geometry,
 * the mass budget, the Kepler orbit against an independent two-body integration, the gas mass
 * within 100 AU against closed forms, the optically thin face-on disk against its flux integral,
 * and the images' convergence in the ray step and against the reference path. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "catalogue/binary.h"
#include "catalogue/cone.h"
#include "catalogue/render.h"
#include "catalogue/profiles.h"
#include "catalogue/render_packet.h"
#include "core/check.h"
#include "mpi_test.h"
#include "rt/constants.h"
#include "rt/line.h"

static double dot3(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

static void preset(binary_params *p, const char *name, uint64_t seed)
{
    rng r;
    rng_seed(&r, seed, 0);
    binary_defaults(p);
    assert_int_equal(binary_preset(p, name, &r), 0);
    assert_int_equal(binary_init(p), 0);
}

/* analogues.md 2.2: primary above the secondary, same column, projected distance = p. */
static void test_cone_geometry(void **st)
{
    (void)st;
    rng r;
    rng_seed(&r, 7, 1);
    for (int trial = 0; trial < 200; trial++) {
        double r1[3], r2[3];
        for (int k = 0; k < 3; k++) r1[k] = 100 * rng_normal(&r), r2[k] = 100 * rng_normal(&r);
        if (trial == 0) r1[0] = r1[1] = r2[0] = r2[1] = 0; /* separation along z: e1 from the x-axis */
        double d = sqrt((r2[0] - r1[0]) * (r2[0] - r1[0]) + (r2[1] - r1[1]) * (r2[1] - r1[1]) + (r2[2] - r1[2]) * (r2[2] - r1[2]));
        double p = trial % 5 == 4 ? 1.5 * d : 0.8 * d * rng_uniform(&r) + 1e-3, pix = 2.5;
        cone_view v[8];
        cone_views(r1, r2, p, 8, v);
        double c[3] = {0.5 * (r1[0] + r2[0]), 0.5 * (r1[1] + r2[1]), 0.5 * (r1[2] + r2[2])};
        for (int k = 0; k < 8; k++) {
            double a1, b1, a2, b2;
            cone_project(&v[k], c, pix, 800, 800, r1, &a1, &b1);
            cone_project(&v[k], c, pix, 800, 800, r2, &a2, &b2);
            assert_true(a1 < a2);                          /* primary above */
            assert_true(fabs(b1 - b2) < 1e-9 * (1 + fabs(b1))); /* same column */
            assert_true(fabs(dot3(v[k].n, v[k].n) - 1) < 1e-12 && fabs(dot3(v[k].n, v[k].u)) < 1e-12);
            assert_true(fabs(v[k].phi - k * 3.14159265358979323846 / 4) < 1e-15);
            if (p <= d) {
                assert_int_equal(v[k].exact, 1);
                assert_true(fabs((a2 - a1) * pix - p) < 1e-9 * p);
            } else {
                assert_int_equal(v[k].exact, 0); /* d < p: edge-on view, flagged */
                assert_true(fabs((a2 - a1) * pix - d) < 1e-9 * d);
            }
        }
        /* image right = up x n: looking along -n the picture is not mirrored (x, u, n right-handed) */
        double cr[3] = {v[0].x[1] * v[0].u[2] - v[0].x[2] * v[0].u[1], v[0].x[2] * v[0].u[0] - v[0].x[0] * v[0].u[2],
                        v[0].x[0] * v[0].u[1] - v[0].x[1] * v[0].u[0]};
        assert_true(fabs(dot3(cr, v[0].n) - 1) < 1e-12);
    }
}

/* M_i(t_end) is the preset's final mass, and M(t) is M_form + the integral of Mdot (checked by
 * an independent trapezoid over 2 million steps). */
static void test_mass_budget(void **st)
{
    (void)st;
    const char *names[3] = {"B1", "B2", "B3"};
    const double m1[3] = {1.07, 2.93, 0.77}, m2[3] = {0.34, 1.47, 0.68};
    for (int i = 0; i < 3; i++) {
        binary_params p = {0};
        preset(&p, names[i], 3);
        binary_state s;
        binary_state_at(&p, p.t_end, &s);
        assert_true(fabs(s.m[0] / BIN_MSUN - m1[i]) < 1e-9 * m1[i]);
        assert_true(fabs(s.m[1] / BIN_MSUN - m2[i]) < 1e-9 * m2[i]);
        if (i == 0) {
            double t0 = p.t2_form, t1 = 0.5 * (p.t2_form + p.t_end), sum = 0, prev;
            binary_state a;
            binary_state_at(&p, t0, &a);
            double m0 = a.m[1];
            prev = a.mdot[1];
            const long n = 2000000;
            for (long k = 1; k <= n; k++) {
                binary_state_at(&p, t0 + (t1 - t0) * k / n, &a);
                sum += 0.5 * (prev + a.mdot[1]) * (t1 - t0) / n;
                prev = a.mdot[1];
            }
            printf("# mass budget: M2(t) - M2(t2form) = %.12e Msun, trapezoid of Mdot2 %.12e\n", (a.m[1] - m0) / BIN_MSUN,
                   sum / BIN_MSUN);
            assert_true(fabs(a.m[1] - m0 - sum) < 1e-6 * sum);
        }
        binary_free(&p);
    }
}

/* The orbit: Phi(t_end) = N periods; positions and velocities against an RK4 integration of the
 * two-body problem over a tenth of an orbit (the masses change by ~1e-6 in that time). */
static void test_kepler(void **st)
{
    (void)st;
    binary_params p = {0};
    preset(&p, "B1", 5);
    binary_state a, b;
    binary_state_at(&p, p.t_end, &a);
    assert_true(fabs(a.phase - 131.0) < 1e-9);
    binary_free(&p);
    /* constant masses (M_form within 1e-10 of the final): the two-body problem exactly */
    rng rr;
    rng_seed(&rr, 5, 0);
    binary_defaults(&p);
    assert_int_equal(binary_preset(&p, "B1", &rr), 0);
    p.m_end[0] = p.m_end[1] = 0.5 * BIN_MSUN;
    p.m_form = p.m_end[1] * (1 - 1e-10);
    assert_int_equal(binary_init(&p), 0);
    double t = 100 * BIN_KYR, P = binary_period(&p, t), dt = 0.1 * P;
    binary_state_at(&p, t, &a);
    binary_state_at(&p, t + dt, &b);
    double GM = BIN_G * (a.m_sec[0] + a.m_sec[1]), x[6];
    for (int k = 0; k < 3; k++) x[k] = a.r[1][k] - a.r[0][k], x[3 + k] = a.v[1][k] - a.v[0][k];
    const int n = 20000;
    double h = dt / n;
    for (int i = 0; i < n; i++) {
        double k1[6], k2[6], k3[6], k4[6], y[6];
        double *ks[4] = {k1, k2, k3, k4};
        for (int stg = 0; stg < 4; stg++) {
            double c = stg == 0 ? 0 : stg == 3 ? 1 : 0.5;
            for (int j = 0; j < 6; j++) y[j] = x[j] + (stg ? c * h * ks[stg - 1][j] : 0);
            double r3 = pow(dot3(y, y), 1.5);
            for (int j = 0; j < 3; j++) ks[stg][j] = y[3 + j], ks[stg][3 + j] = -GM * y[j] / r3;
        }
        for (int j = 0; j < 6; j++) x[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
    }
    double err = 0, err_v = 0, rel[3];
    for (int k = 0; k < 3; k++) rel[k] = b.r[1][k] - b.r[0][k];
    for (int k = 0; k < 3; k++) err += (rel[k] - x[k]) * (rel[k] - x[k]), err_v += pow(b.v[1][k] - b.v[0][k] - x[3 + k], 2);
    err = sqrt(err) / b.sep, err_v = sqrt(err_v) / sqrt(dot3(x + 3, x + 3));
    printf("# Kepler: period %.6f yr at t = 100 kyr; after 0.1 orbit position error %.2e, velocity error %.2e\n",
           P / BIN_YR, err, err_v);
    assert_true(err < 1e-7 && err_v < 1e-7);
    binary_state_at(&p, t + P, &b);
    printf("# one period later the phase has advanced by %.12f orbits\n", b.phase - a.phase);
    assert_true(fabs(b.phase - a.phase - 1.0) < 1e-7); /* the masses grow by 1e-10 */
    /* periastron distance a(1 - e) at integer phase */
    double lo = 1e300;
    for (int i = 0; i < 2000; i++) {
        binary_state_at(&p, t + P * i / 2000.0, &b);
        if (b.sep < lo) lo = b.sep;
    }
    assert_true(fabs(lo / (p.a * (1 - p.ecc)) - 1) < 1e-4);
    binary_free(&p);
}

/* Envelope only (no disks, ring or cavities): the mass of rho0 r^-3/2 inside a sphere of radius
 * R about a point at distance b from the centre, from the shell areas inside the sphere:
 * M = int_0^{R-b} 4 pi r^2 rho dr + int_{R-b}^{R+b} 2 pi r^2 rho (1 - (r^2 + b^2 - R^2)/(2 r b)) dr. */
static double envelope_closed_form(double rho0, double R, double b)
{
    double a = R - b, c = R + b;
    double inner = 4 * BIN_PI * rho0 * (2.0 / 3.0) * pow(a, 1.5);
    /* 2 pi rho0 int r^{1/2} (1 - (r^2 + b^2 - R^2)/(2 r b)) dr, antiderivative: */
    double k = (R * R - b * b) / (2 * b);
    double F_c = (2.0 / 3.0) * pow(c, 1.5) - pow(c, 2.5) / (2 * b) * (2.0 / 5.0) + k * 2 * sqrt(c);
    double F_a = (2.0 / 3.0) * pow(a, 1.5) - pow(a, 2.5) / (2 * b) * (2.0 / 5.0) + k * 2 * sqrt(a);
    return inner + 2 * BIN_PI * rho0 * (F_c - F_a);
}

static void test_mgas100(void **st)
{
    (void)st;
    binary_params p = {0};
    rng r;
    rng_seed(&r, 9, 0);
    binary_defaults(&p);
    assert_int_equal(binary_preset(&p, "B1", &r), 0);
    p.f_disk = 1e-300, p.ring_mass = 0, p.streamer_density = 0, p.f_cav = 1.0;
    assert_int_equal(binary_init(&p), 0);
    binary_state s;
    binary_state_at(&p, 60 * BIN_KYR, &s);
    double R = 100 * BIN_AU, b = sqrt(dot3(s.r[0], s.r[0]));
    double m = binary_gas_mass_within(&p, &s, 0, R), ref = envelope_closed_form(s.rho_env0, R, b);
    printf("# Mgas100, envelope only, primary %.2f AU from the centre: quadrature %.9e, closed form %.9e Msun (%.1e)\n",
           b / BIN_AU, m / BIN_MSUN, ref / BIN_MSUN, fabs(m / ref - 1));
    assert_true(fabs(m / ref - 1) < 1e-3);
    /* one thin disk alone (the companion and its disk far outside the sphere): 2 pi Sigma0 Rd^2 int_0^{R/Rd} e^{-u^4} du */
    binary_defaults(&p);
    rng_seed(&r, 9, 0);
    assert_int_equal(binary_preset(&p, "B2", &r), 0);
    p.mdot_env0 = 0, p.ring_mass = 0, p.streamer_density = 0, p.h100 = 0.02, p.f_trunc = 1.0, p.n_periods = 12;
    assert_int_equal(binary_init(&p), 0);
    binary_state_at(&p, 200 * BIN_KYR, &s);
    assert_true(s.sep > 100 * BIN_AU + 3 * s.rd[1]);
    double x = R / s.rd[0], series = 0, term = x;
    for (int k = 0; k < 200 && fabs(term) > 1e-18; k++) { /* sum (-1)^k x^(4k+1) / (k! (4k+1)) */
        series += term / (4 * k + 1);
        term *= -pow(x, 4) / (k + 1);
    }
    ref = 2 * BIN_PI * s.sigma0[0] * s.rd[0] * s.rd[0] * series;
    m = binary_gas_mass_within(&p, &s, 0, R);
    printf("# Mgas100, one disk (Rd = %.1f AU): quadrature %.9e, closed form %.9e Msun (%.1e)\n", s.rd[0] / BIN_AU,
           m / BIN_MSUN, ref / BIN_MSUN, fabs(m / ref - 1));
    assert_true(fabs(m / ref - 1) < 1e-3);
    binary_free(&p);
}

static render_setup dust_setup(int n, double pixel_au)
{
    render_setup rs = {.mode = RENDER_DUST, .height = n, .width = n, .pixel = pixel_au * BIN_AU, .distance = 230 * 3.0856775814913673e16,
                       .step_scale = 1.0, .max_depth = 10, .threads = 2, .freq = 230e9, .kappa0 = 0.0899, .nu_ref = 230e9,
                       .beta = 1.7, .gas_to_dust = 100};
    return rs;
}

/* A face-on, optically thin disk: the image's total flux against the integral of
 * Sigma_dust kappa B_nu(T) over the disk's plane (a 2-D quadrature, T from the model at z = 0). */
static void test_faceon_disk_flux(void **st)
{
    (void)st;
    binary_params p = {0};
    rng r;
    rng_seed(&r, 4, 0);
    binary_defaults(&p);
    assert_int_equal(binary_preset(&p, "B2", &r), 0);
    p.mdot_env0 = 0, p.ring_mass = 0, p.streamer_density = 0, p.h100 = 0.01, p.f_trunc = 0.2, p.n_periods = 12;
    p.misalign[0] = p.misalign[1] = 0, p.f_disk = 1e-8;
    assert_int_equal(binary_init(&p), 0);
    binary_state s;
    binary_state_at(&p, 200 * BIN_KYR, &s);
    p.f_trunc *= 20 * BIN_AU / s.rd[0]; /* a 20 AU disk in the 160 AU field */
    binary_state_at(&p, 200 * BIN_KYR, &s);
    render_setup rs = dust_setup(64, 2.5);
    memcpy(rs.centre, s.r[0], sizeof rs.centre);
    cone_view v;
    memcpy(v.n, s.J[0], sizeof v.n);
    double ref[3] = {1, 0, 0};
    if (fabs(v.n[0]) > 0.9) ref[0] = 0, ref[1] = 1;
    double c = dot3(ref, v.n);
    for (int k = 0; k < 3; k++) v.u[k] = ref[k] - c * v.n[k];
    double l = sqrt(dot3(v.u, v.u));
    for (int k = 0; k < 3; k++) v.u[k] /= l;
    v.x[0] = v.u[1] * v.n[2] - v.u[2] * v.n[1], v.x[1] = v.u[2] * v.n[0] - v.u[0] * v.n[2], v.x[2] = v.u[0] * v.n[1] - v.u[1] * v.n[0];
    assert_true(3 * s.rd[0] < 32 * 2.5 * BIN_AU);
    double *img = xmalloc(64 * 64 * sizeof *img), total = 0;
    render_view(&rs, &p, &s, &v, img);
    for (int i = 0; i < 64 * 64; i++) total += img[i];
    /* the flux integral: log panels in R, Gauss-Legendre in R and phi */
    static const double X[8] = {-0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498,
                                0.1834346424956498,  0.5255324099163290,  0.7966664774136267,  0.9602898564975363};
    static const double W[8] = {0.1012285362903763, 0.2223810344533745, 0.3137066278513684, 0.3626837833783620,
                                0.3626837833783620, 0.3137066278513684, 0.2223810344533745, 0.1012285362903763};
    double kappa = rs.kappa0, flux = 0, lo = log(1e-5 * BIN_AU), hi = log(3 * s.rd[0]);
    double e1[3], e2[3];
    memcpy(e1, v.u, sizeof e1), memcpy(e2, v.x, sizeof e2);
    for (int a = 0; a < 400; a++)
        for (int i = 0; i < 8; i++) {
            double u = lo + (hi - lo) * (a + 0.5 + 0.5 * X[i]) / 400, R = exp(u), wR = (hi - lo) / 400 * 0.5 * W[i] * R * R;
            double x = R / s.rd[0], sigma = s.sigma0[0] / x * exp(-x * x * x * x);
            for (int b = 0; b < 32; b++)
                for (int j = 0; j < 8; j++) {
                    double ph = 2 * BIN_PI * (b + 0.5 + 0.5 * X[j]) / 32, wp = 2 * BIN_PI / 32 * 0.5 * W[j], pt[3];
                    for (int k = 0; k < 3; k++) pt[k] = s.r[0][k] + R * (cos(ph) * e1[k] + sin(ph) * e2[k]);
                    binary_point q; /* the model's temperature and dust fraction (sublimation) at z = 0 */
                    binary_eval(&p, &s, pt, &q);
                    flux += wR * wp * sigma * (q.rho_dust_free / q.rho) / rs.gas_to_dust * kappa * rt_planck(q.T, rs.freq);
                }
        }
    flux *= 1e26 / (rs.distance * rs.distance);
    printf("# face-on optically thin disk (Rd = %.1f AU): image %.9e Jy, flux integral %.9e Jy (%.1e)\n", s.rd[0] / BIN_AU,
           total, flux, fabs(total / flux - 1));
    assert_true(fabs(total / flux - 1) < 1e-3);
    free(img);
    binary_free(&p);
}

/* A typical B1 view: halving the step changes the image by <= 1e-3 of its peak (and the total
 * flux by less), and the fast path agrees with the reference to 1e-3. */
static void test_convergence(void **st)
{
    (void)st;
    binary_params p = {0};
    preset(&p, "B1", 11);
    binary_state s;
    binary_state_at(&p, 90 * BIN_KYR, &s);
    cone_view v[8];
    cone_views(s.r[0], s.r[1], 143 * BIN_AU, 8, v);
    render_setup rs = dust_setup(24, 12.0);
    for (int k = 0; k < 3; k++) rs.centre[k] = 0.5 * (s.r[0][k] + s.r[1][k]);
    size_t n = 24 * 24;
    double *a = xmalloc(3 * n * sizeof *a), *b = a + n, *c = b + n;
    render_view(&rs, &p, &s, &v[1], a);
    rs.step_scale = 0.5;
    render_view(&rs, &p, &s, &v[1], b);
    rs.step_scale = 1.0;
    render_view_reference(&rs, &p, &s, &v[1], c);
    double peak = 0, dh = 0, dr = 0, ta = 0, tb = 0, tc = 0;
    for (size_t i = 0; i < n; i++) {
        peak = fmax(peak, fabs(c[i]));
        ta += a[i], tb += b[i], tc += c[i];
    }
    for (size_t i = 0; i < n; i++) dh = fmax(dh, fabs(a[i] - b[i]) / peak), dr = fmax(dr, fabs(a[i] - c[i]) / peak);
    printf("# convergence (24x24, 12 AU pixels): halved step %.2e, reference %.2e of the peak; total flux %.6e / %.6e / %.6e Jy\n",
           dh, dr, ta, tb, tc);
    assert_true(dh <= 1e-3 && dr <= 1e-3);
    assert_true(fabs(ta / tc - 1) <= 1e-3);
    free(a);
    binary_free(&p);
}

/* The packets of rays (render_packet.c) against one ray at a time, on the same steps: B1 and B2
 * views with the quadtree near the stars, the ring and the streamers, at 1 and 2 x 2 rays per
 * pixel. The two differ by the vector exp, log, atan2 and expm1 (1-3 ulp): 1e-14 of a pixel here
 * (AVX-512 and AVX2 alike). A step rule's threshold met within those ulps would move one ray's
 * steps on another CPU, by no more than the step's own error: up to 2 such pixels per image may
 * differ more, and none by more than the convergence tolerance, 1e-3. */
static void test_packets(void **st)
{
    (void)st;
    if (render_packet_width() == 0) {
        print_message("# SKIP test_packets: no vector unit (or no SLEEF) in this build: render_view takes one ray at a time\n");
        skip();
    }
    const char *names[2] = {"B1", "B2"};
    for (int m = 0; m < 2; m++) {
        binary_params p = {0};
        preset(&p, names[m], 5 + m);
        binary_state s;
        binary_state_at(&p, 0.8 * p.t_end, &s);
        cone_view v[8];
        cone_views(s.r[0], s.r[1], 143 * BIN_AU, 8, v);
        for (int ss = 1; ss <= 2; ss++) {
            render_setup rs = dust_setup(36, 15.0);
            rs.supersample = ss;
            for (int k = 0; k < 3; k++) rs.centre[k] = 0.5 * (s.r[0][k] + s.r[1][k]);
            size_t n = 36 * 36;
            double *a = xmalloc(2 * n * sizeof *a), *b = a + n, worst = 0, worst_exact = 0, peak = 0;
            int off = 0;
            render_view(&rs, &p, &s, &v[3 * m + ss], a);
            rs.scalar_rays = 1;
            render_view(&rs, &p, &s, &v[3 * m + ss], b);
            for (size_t i = 0; i < n; i++) {
                assert_true(b[i] >= 0 && isfinite(a[i]));
                double d = b[i] > 0 ? fabs(a[i] - b[i]) / b[i] : fabs(a[i]);
                worst = fmax(worst, d);
                if (d > 1e-12) off++;
                else worst_exact = fmax(worst_exact, d);
                peak = fmax(peak, b[i]);
            }
            print_message("# packets of %d rays vs one at a time (%s, %d x %d rays per pixel, peak %.3e Jy): %.1e of a pixel; "
                          "%d pixel(s) beyond 1e-12 (worst %.1e)\n",
                          render_packet_width(), names[m], ss, ss, peak, worst_exact, off, worst);
            assert_true(peak > 0 && off <= 2 && worst <= 1e-3);
            free(a);
        }
        binary_free(&p);
    }
}

/* Radial profiles against closed forms. An envelope alone (no cavity, disk, ring or streamer)
 * about the barycentre: v_r = -sqrt(2 G M / r) and rho ~ r^-3/2 give the shell's mass-weighted
 * -sqrt(2 G M) (r_b - r_a) / (2/3 (r_b^3/2 - r_a^3/2)); its rotation j_z = sqrt(G M R_c) sin^2 theta
 * averages to 2/3 sqrt(G M R_c) along n_orb. A disk alone about its star: no radial velocity, and
 * the angular momentum along the disk's normal. */
static void test_profiles(void **st)
{
    (void)st;
    binary_params p = {0};
    preset(&p, "B1", 3);
    p.f_cav = 1.0, p.f_disk = 0.0, p.ring_mass = 0.0, p.streamer_density = 0.0;
    binary_state s;
    binary_state_at(&p, 100 * BIN_KYR, &s);
    double edges[PROFILE_NSHELL + 1], L[PROFILE_NSHELL * 3], vr[PROFILE_NSHELL], zero[3] = {0, 0, 0}, worst_v = 0, worst_l = 0;
    profile_shell_edges(5 * BIN_AU, 500 * BIN_AU, PROFILE_NSHELL, edges);
    profiles_about(&p, &s, zero, zero, p.n_orb, PROFILE_NSHELL, edges, L, vr);
    double M = s.m[0] + s.m[1], jz = 2.0 / 3.0 * sqrt(BIN_G * M * p.r_c);
    for (int k = 0; k < PROFILE_NSHELL; k++) {
        double ra = edges[k], rb = edges[k + 1];
        double v = -sqrt(2 * BIN_G * M) * (rb - ra) / (2.0 / 3.0 * (pow(rb, 1.5) - pow(ra, 1.5)));
        double lz = L[3 * k] * p.n_orb[0] + L[3 * k + 1] * p.n_orb[1] + L[3 * k + 2] * p.n_orb[2];
        double lperp = sqrt(fmax(L[3 * k] * L[3 * k] + L[3 * k + 1] * L[3 * k + 1] + L[3 * k + 2] * L[3 * k + 2] - lz * lz, 0));
        worst_v = fmax(worst_v, fabs(vr[k] / v - 1));
        worst_l = fmax(worst_l, fmax(fabs(lz / jz - 1), lperp / jz));
    }
    print_message("# profiles, envelope alone: v_r within %.1e, j within %.1e of the closed forms (50 shells, 5-500 AU)\n",
                  worst_v, worst_l);
    assert_true(worst_v < 1e-9 && worst_l < 1e-6);
    binary_free(&p);

    /* a disk alone about star 1 (the other star's disk is there too: its shells beyond both disks are empty) */
    preset(&p, "B2", 4);
    p.mdot_env0 = 0.0, p.ring_mass = 0.0, p.streamer_density = 0.0;
    binary_state_at(&p, 200 * BIN_KYR, &s);
    profile_shell_edges(5 * BIN_AU, 500 * BIN_AU, PROFILE_NSHELL, edges);
    binary_profiles(&p, &s, 0, PROFILE_NSHELL, edges, L, vr);
    double worst_vr = 0, worst_dir = 0;
    int used = 0;
    for (int k = 0; k < PROFILE_NSHELL && edges[k + 1] < 0.5 * s.rd[0] && edges[k + 1] < 0.3 * s.sep; k++, used++) {
        double l = sqrt(L[3 * k] * L[3 * k] + L[3 * k + 1] * L[3 * k + 1] + L[3 * k + 2] * L[3 * k + 2]);
        double cosang = (L[3 * k] * s.J[0][0] + L[3 * k + 1] * s.J[0][1] + L[3 * k + 2] * s.J[0][2]) / l;
        double kep = sqrt(BIN_G * s.m[0] * sqrt(edges[k] * edges[k + 1]));
        worst_vr = fmax(worst_vr, fabs(vr[k]) / kep * sqrt(edges[k] * edges[k + 1]));
        worst_dir = fmax(worst_dir, 1 - cosang);
        assert_true(fabs(l / kep - 1) < 0.05); /* sqrt(G M R) with R < r off the midplane */
    }
    print_message("# profiles, disk alone (Rd = %.0f AU, %d shells inside Rd/2): |v_r| / v_K <= %.1e, 1 - cos(L, J1) <= %.1e\n",
                  s.rd[0] / BIN_AU, used, worst_vr, worst_dir);
    assert_true(used > 10 && worst_vr < 1e-12 && worst_dir < 1e-9);
    binary_free(&p);
}

/* The line: the CO 2-1 cube of a B1 view converges in the step and agrees with the reference path
 * (to 1e-3 of its peak), and its moment-1 map is blanked where moment 0 is below the mask. */
static void test_line_convergence(void **st)
{
    (void)st;
    lamda_data co;
    rt_line l21;
    if (rt_line_load(SYNOBS_SOURCE_DIR "/inputs/co.dat", 2, 28.0, &co, &l21)) fail_msg("%s", error_message());
    binary_params p = {0};
    preset(&p, "B1", 11);
    binary_state s;
    binary_state_at(&p, 90 * BIN_KYR, &s);
    cone_view v[8];
    cone_views(s.r[0], s.r[1], 143 * BIN_AU, 8, v);
    render_setup rs = dust_setup(8, 30.0);
    rs.mode = RENDER_LINE, rs.line = &l21, rs.nchan = 16, rs.vrange = 6e3, rs.abundance = 1e-4, rs.freeze_out = 0.01;
    rs.freeze_T = 20, rs.v_turb = 100, rs.mu_h2 = 2.8;
    for (int k = 0; k < 3; k++) rs.centre[k] = 0.5 * (s.r[0][k] + s.r[1][k]);
    size_t n = 8 * 8 * 16;
    double *a = xmalloc(3 * n * sizeof *a), *b = a + n, *c = b + n;
    render_view(&rs, &p, &s, &v[2], a);
    rs.step_scale = 0.5;
    render_view(&rs, &p, &s, &v[2], b);
    rs.step_scale = 1.0;
    render_view_reference(&rs, &p, &s, &v[2], c);
    double peak = 0, dh = 0, dr = 0;
    for (size_t i = 0; i < n; i++) peak = fmax(peak, fabs(c[i]));
    for (size_t i = 0; i < n; i++) dh = fmax(dh, fabs(a[i] - b[i]) / peak), dr = fmax(dr, fabs(a[i] - c[i]) / peak);
    /* blanking: a noise that puts the mask between the faintest and the brightest moment 0 */
    double m0[64], m1[64], lo = 1e300, hi = 0;
    render_moments(&rs, a, 0.0, 10, m0, m1);
    for (int i = 0; i < 64; i++) lo = fmin(lo, m0[i]), hi = fmax(hi, m0[i]);
    double dv = 12.0 / 15, noise = sqrt(lo * hi) / (10 * dv * 4), thr = 10 * noise * dv * 4; /* mask x noise x dv x sqrt(16) */
    render_moments(&rs, a, noise, 10, m0, m1);
    int nan = 0, finite = 0;
    for (int i = 0; i < 64; i++) {
        if (isnan(m1[i])) nan++, assert_true(m0[i] <= thr * (1 + 1e-12));
        else finite++, assert_true(m0[i] > thr && fabs(m1[i]) <= 6.0);
    }
    printf("# CO 2-1 cube (8x8, 16 channels): halved step %.2e, reference %.2e of the peak; moment 1: %d pixels kept, %d blanked\n",
           dh, dr, finite, nan);
    assert_true(dh <= 1e-3 && dr <= 1e-3 && finite > 0 && nan > 0);
    free(a);
    binary_free(&p);
    rt_line_free(&l21);
    lamda_free(&co);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    log_init(0, 1, true);
    const struct CMUnitTest group[] = {
        cmocka_unit_test(test_cone_geometry), cmocka_unit_test(test_mass_budget), cmocka_unit_test(test_kepler),
        cmocka_unit_test(test_mgas100),       cmocka_unit_test(test_faceon_disk_flux), cmocka_unit_test(test_convergence),
        cmocka_unit_test(test_line_convergence), cmocka_unit_test(test_packets), cmocka_unit_test(test_profiles),
    };
    int fails = cmocka_run_group_tests(group, NULL, NULL);
    MPI_Finalize();
    return fails ? 1 : 0;
}
