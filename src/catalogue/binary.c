/**
 * @file binary.c
 * @brief The forming-binary model of catalogue.md 1, as closed forms and quadratures of t.
 *
 * - Accretion: Mdot_i(t) = Mdot_i0 (1 + t_i/tau_acc)^-p B(phase), B = 1 + A_b exp(-(dphi/w_b)^2)
 *   with dphi the phase distance to the nearest periastron (pulsed accretion at periastron:
 *   Artymowicz & Lubow 1996, Munoz & Lai 2016). M_i(t) = M_form + Mdot_i0 I_i(t), I_i the
 *   integral of the shape; Mdot_i0 = (M_i,end - M_form) / I_i(t_end), so that M_i(t_end) is the
 *   final mass exactly.
 * - Orbit: Kepler about the barycentre with a fixed semi-major axis a. The mean motion follows
 *   the secular masses Mbar_i(t) = M_form + (M_i,end - M_form) F_i(t)/F_i(t_end), F the integral of
 *   the smooth shape (1 + t/tau)^-p in closed form; the phase is Phi(t) = a^-3/2 J(t) orbits with
 *   J(t) = int_t2form^t sqrt(G Mbar_tot)/(2 pi) dt, and a is set so that Phi(t_end) = N periods
 *   (the first periastron is when the secondary forms). The secular masses break the circularity
 *   of bursts that depend on a phase that depends on the mass.
 * - Luminosity: L_i = G M_i Mdot_i / (2 R_acc) + L_phot (the toolbox's accretion luminosity).
 * - Disks: Sigma_i = Sigma_0 (R_d/R) exp(-(R/R_d)^4) (a tapered R^-1 disk, e.g. Andrews et al.
 *   2009 with a sharper taper for tidal truncation), M_d = f_d M_i = 2 pi Sigma_0 R_d^2 Gamma(5/4);
 *   vertical Gaussian with H/R = h100 (R / 100 AU)^(1/4) (a flared irradiated disk, Chiang &
 *   Goldreich 1997); R_d = f_tr r_L a (1 - e) (1 - exp(-t_i/tau_d)), r_L the Eggleton (1983)
 *   Roche-lobe fraction (truncation at periastron, Artymowicz & Lubow 1994: 0.3-0.5 a(1-e));
 *   normals misaligned by beta_i from the orbit normal and precessing about it once every
 *   k_prec orbits (Bate et al. 2000). Keplerian rotation about the star plus its orbital motion.
 * - Envelope: the r^-3/2 limit of rotating infall (Ulrich 1976; Terebey, Shu & Cassen 1984):
 *   rho = Mdot_env / (4 pi sqrt(2 G M_tot)) r^-3/2 about the barycentre, radial free fall plus
 *   rotation sqrt(G M_tot R_c) sin(theta) / r; bipolar cavities about the orbit normal of half
 *   angle theta_c(t) where the density is f_cav times lower.
 * - Circumbinary ring at r = 2.5 a (the inner edge of a circumbinary disk, Artymowicz & Lubow
 *   1994), Gaussian in R and z (z width half the radial one), circular Keplerian about the
 *   barycentre; two streamers, logarithmic spirals of pitch psi from the ring to each star,
 *   trailing and fixed in the frame of the binary, of density streamer_density x the ring's peak.
 * - Temperature: T = max(T_floor, [sum_i T100^4 (L_i/Lsun) (100 AU / r_i)^2]^(1/4)) (passive
 *   heating by both stars, e.g. Motte & Andre 2001); dust is absent where T > T_sub.
 * The velocity at a point is the mass-weighted mean of the components' velocities there.
 */
#include "catalogue/binary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"

#define DEG (BIN_PI / 180.0)
#define GAMMA_5_4 0.90640247705547707798 /* Gamma(5/4) */

const char *const binary_preset_names[BINARY_NPRESET] = {"B1", "B2", "B3"};

/* Table 1 of the paper (final age, final masses, periods) with the eccentricities of catalogue.md 1.1. */
static const struct {
    const char *name;
    double t_end_kyr, m1, m2, periods, ecc;
} presets[BINARY_NPRESET] = {
    {"B1", 148, 1.07, 0.34, 131, 0.4},
    {"B2", 260, 2.93, 1.47, 103, 0.3},
    {"B3", 148, 0.77, 0.68, 265, 0.5},
};

/* 8-point Gauss-Legendre nodes and weights on [-1, 1] */
static const double GL_X[8] = {-0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498,
                               0.1834346424956498,  0.5255324099163290,  0.7966664774136267,  0.9602898564975363};
static const double GL_W[8] = {0.1012285362903763, 0.2223810344533745, 0.3137066278513684, 0.3626837833783620,
                               0.3626837833783620, 0.3137066278513684, 0.2223810344533745, 0.1012285362903763};

static void cross(const double *a, const double *b, double *c)
{
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}
static double dot(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

void binary_defaults(binary_params *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "custom");
    p->t_end = 148 * BIN_KYR;
    p->m_end[0] = 1.07 * BIN_MSUN, p->m_end[1] = 0.34 * BIN_MSUN;
    p->m_form = 0.01 * BIN_MSUN;
    p->t2_form = 3 * BIN_KYR;
    p->tau_acc = 20 * BIN_KYR, p->p_acc = 1.0, p->burst_amp = 3.0, p->burst_width = 0.05;
    p->r_acc = 4 * BIN_RSUN, p->l_phot = 0.0;
    p->n_periods = 131, p->ecc = 0.4;
    p->n_orb[2] = 1.0, p->p_orb[0] = 1.0;
    p->f_disk = 0.1, p->f_trunc = 0.8, p->tau_disk = 10 * BIN_KYR, p->h100 = 0.1;
    p->misalign[0] = p->misalign[1] = 20 * DEG, p->prec_orbits = 50;
    p->mdot_env0 = 1e-5 * BIN_MSUN / BIN_YR, p->t_env = 100 * BIN_KYR, p->r_c = 100 * BIN_AU;
    p->cav_theta0 = 10 * DEG, p->cav_rate = 30 * DEG / (100 * BIN_KYR), p->cav_max = 60 * DEG, p->f_cav = 0.01;
    p->ring_radius = 2.5, p->ring_width = 0.3, p->ring_mass = 0.05, p->streamer_density = 0.5, p->streamer_pitch = 20 * DEG;
    p->t100 = 25, p->t_floor = 10, p->t_sub = 1500, p->r_out = 3000 * BIN_AU;
}

/* The orbit's orientation and the disks' precession phases: isotropic orbit normal, uniform
 * periastron direction in its plane, uniform phases. */
static void draw_angles(binary_params *p, rng *r)
{
    double cz = 2.0 * rng_uniform(r) - 1.0, ph = 2.0 * BIN_PI * rng_uniform(r), sz = sqrt(1.0 - cz * cz);
    double n[3] = {sz * cos(ph), sz * sin(ph), cz}, e1[3], e2[3];
    double ref[3] = {fabs(n[0]) < 0.9 ? 1.0 : 0.0, fabs(n[0]) < 0.9 ? 0.0 : 1.0, 0.0};
    cross(n, ref, e1);
    double l = sqrt(dot(e1, e1));
    for (int k = 0; k < 3; k++) e1[k] /= l;
    cross(n, e1, e2);
    double w = 2.0 * BIN_PI * rng_uniform(r);
    for (int k = 0; k < 3; k++) p->n_orb[k] = n[k], p->p_orb[k] = cos(w) * e1[k] + sin(w) * e2[k];
    p->prec_phase0[0] = 2.0 * BIN_PI * rng_uniform(r);
    p->prec_phase0[1] = 2.0 * BIN_PI * rng_uniform(r);
}

int binary_preset(binary_params *p, const char *name, rng *r)
{
    for (int i = 0; i < BINARY_NPRESET; i++) {
        if (strcmp(name, presets[i].name) != 0) continue;
        snprintf(p->name, sizeof p->name, "%s", name);
        p->t_end = presets[i].t_end_kyr * BIN_KYR;
        p->m_end[0] = presets[i].m1 * BIN_MSUN, p->m_end[1] = presets[i].m2 * BIN_MSUN;
        p->n_periods = presets[i].periods, p->ecc = presets[i].ecc;
        draw_angles(p, r);
        return 0;
    }
    return error_set("unknown system '%s' (presets: B1, B2, B3, or random:N)", name);
}

static double uni(rng *r, const double *lohi) { return lohi[0] + rng_uniform(r) * (lohi[1] - lohi[0]); }
static double logu(rng *r, const double *lohi)
{
    return lohi[0] > 0 && lohi[1] > 0 ? exp(log(lohi[0]) + rng_uniform(r) * (log(lohi[1]) - log(lohi[0]))) : uni(r, lohi);
}

/* Ranges arrive in parameter-file units (Msun, kyr, AU, degrees, Msun/yr). */
void binary_draw(binary_params *p, const binary_ranges *g, rng *r)
{
    double m1 = logu(r, g->m1), q = uni(r, g->q);
    p->m_end[0] = m1 * BIN_MSUN, p->m_end[1] = q * m1 * BIN_MSUN;
    p->t_end = uni(r, g->t_end) * BIN_KYR;
    p->n_periods = uni(r, g->periods);
    p->ecc = uni(r, g->ecc);
    p->tau_acc = uni(r, g->tau_acc) * BIN_KYR, p->p_acc = uni(r, g->p_acc);
    p->burst_amp = uni(r, g->burst_amp), p->burst_width = uni(r, g->burst_width);
    p->f_disk = uni(r, g->f_disk), p->f_trunc = uni(r, g->f_trunc), p->tau_disk = uni(r, g->tau_disk) * BIN_KYR;
    p->h100 = uni(r, g->h100);
    p->misalign[0] = uni(r, g->misalign) * DEG, p->misalign[1] = uni(r, g->misalign) * DEG;
    p->prec_orbits = logu(r, g->prec_orbits);
    p->mdot_env0 = logu(r, g->mdot_env) * BIN_MSUN / BIN_YR, p->t_env = uni(r, g->t_env) * BIN_KYR;
    p->r_c = logu(r, g->r_c) * BIN_AU;
    p->ring_radius = uni(r, g->ring_radius), p->ring_width = uni(r, g->ring_width), p->ring_mass = uni(r, g->ring_mass);
    p->streamer_density = uni(r, g->streamer_density), p->streamer_pitch = uni(r, g->streamer_pitch) * DEG;
    draw_angles(p, r);
}

/* ---- accretion and the orbit clock ------------------------------------------------------- */

static double age(const binary_params *p, int i, double t) { return i == 0 ? t : t - p->t2_form; }

/* int_0^t_i (1 + u/tau)^-p du, closed form */
static double shape_integral(const binary_params *p, double ti)
{
    if (ti <= 0) return 0.0;
    double x = 1.0 + ti / p->tau_acc;
    return fabs(p->p_acc - 1.0) < 1e-12 ? p->tau_acc * log(x) : p->tau_acc * (pow(x, 1.0 - p->p_acc) - 1.0) / (1.0 - p->p_acc);
}

static double secular_mass(const binary_params *p, int i, double t)
{
    double ti = age(p, i, t);
    if (ti < 0) return 0.0;
    return p->m_form + (p->m_end[i] - p->m_form) * shape_integral(p, ti) / shape_integral(p, age(p, i, p->t_end));
}

/* d J / dt: the orbit clock's rate before dividing by a^3/2 */
static double clock_rate(const binary_params *p, double t)
{
    if (t <= p->t2_form) return 0.0;
    return sqrt(BIN_G * (secular_mass(p, 0, t) + secular_mass(p, 1, t))) / (2.0 * BIN_PI);
}

static double gl_clock(const binary_params *p, double t0, double t1)
{
    if (t0 < p->t2_form) t0 = p->t2_form;
    if (t1 <= t0) return 0.0;
    double h = 0.5 * (t1 - t0), c = 0.5 * (t1 + t0), s = 0.0;
    for (int k = 0; k < 8; k++) s += GL_W[k] * clock_rate(p, c + h * GL_X[k]);
    return s * h;
}

static int panel_of(const binary_params *p, double t)
{
    int k = (int)(t / p->panel);
    return k < 0 ? 0 : k > p->npanel ? p->npanel : k;
}
static double panel_edge(const binary_params *p, int k) { return k >= p->npanel ? p->t_end : k * p->panel; }

static double clock_at(const binary_params *p, double t)
{
    int k = panel_of(p, t);
    double tk = panel_edge(p, k);
    if (tk > t) tk = t; /* the last edge is t_end */
    return p->tab[3 * k] + gl_clock(p, tk, t);
}

static double burst(const binary_params *p, double phase)
{
    double d = phase - floor(phase + 0.5); /* distance to the nearest periastron, in orbits */
    double x = d / p->burst_width;
    return 1.0 + p->burst_amp * exp(-x * x);
}

/* The accretion shape of star i at t: (1 + t_i/tau)^-p B, B only once the orbit exists. */
static double accretion_shape(const binary_params *p, int i, double t, double J)
{
    double ti = age(p, i, t);
    if (ti < 0) return 0.0;
    double b = t >= p->t2_form ? burst(p, J * pow(p->a, -1.5)) : 1.0;
    return pow(1.0 + ti / p->tau_acc, -p->p_acc) * b;
}

/* int_t0^t1 of star i's shape; J at each node from the panel's edge value jk at tk */
static double gl_accretion(const binary_params *p, int i, double t0, double t1, double tk, double jk)
{
    double tf = i == 0 ? 0.0 : p->t2_form;
    if (t0 < tf) t0 = tf;
    if (t1 <= t0) return 0.0;
    if (t0 < p->t2_form && t1 > p->t2_form) /* the primary's bursts begin with the orbit: integrate each side */
        return gl_accretion(p, i, t0, p->t2_form, tk, jk) + gl_accretion(p, i, p->t2_form, t1, tk, jk);
    double h = 0.5 * (t1 - t0), c = 0.5 * (t1 + t0), s = 0.0;
    for (int k = 0; k < 8; k++) {
        double t = c + h * GL_X[k];
        s += GL_W[k] * accretion_shape(p, i, t, jk + gl_clock(p, tk, t));
    }
    return s * h;
}

static double accretion_integral(const binary_params *p, int i, double t)
{
    int k = panel_of(p, t);
    double tk = panel_edge(p, k);
    if (tk > t) tk = t;
    return p->tab[3 * k + 1 + i] + gl_accretion(p, i, tk, t, tk, p->tab[3 * k]);
}

int binary_init_orbit(binary_params *p)
{
    if (!(p->t2_form >= 0 && p->t2_form < p->t_end))
        return error_set("the secondary's formation age (%g kyr) must lie in [0, final age %g kyr)", p->t2_form / BIN_KYR,
                         p->t_end / BIN_KYR);
    for (int i = 0; i < 2; i++)
        if (!(p->m_end[i] > p->m_form))
            return error_set("final mass of star %d (%g Msun) must exceed the formation mass %g Msun", i + 1,
                             p->m_end[i] / BIN_MSUN, p->m_form / BIN_MSUN);
    if (!(p->ecc >= 0 && p->ecc < 1)) return error_set("eccentricity %g outside [0, 1)", p->ecc);
    if (!(p->n_periods > 0)) return error_set("number of periods %g must be positive", p->n_periods);
    if (!(p->burst_width > 0)) return error_set("burst width %g orbits must be positive", p->burst_width);
    /* the semi-major axis from the period count: J(t_end) on 512 panels (sqrt of a smooth mass) */
    double Jend = 0.0;
    for (int k = 0; k < 512; k++) Jend += gl_clock(p, p->t_end * k / 512.0, p->t_end * (k + 1) / 512.0);
    p->a = pow(Jend / p->n_periods, 2.0 / 3.0);
    return 0;
}

int binary_init(binary_params *p)
{
    if (binary_init_orbit(p) != 0) return -1;
    /* tables on panels of 1/64 of the shortest period: the bursts (>= 0.02 orbits wide) are
     * integrated by 8-point Gauss-Legendre to ~1e-12 */
    double mtot = p->m_end[0] + p->m_end[1], pmin = 2.0 * BIN_PI * sqrt(p->a * p->a * p->a / (BIN_G * mtot));
    p->npanel = (int)ceil(p->t_end / (pmin / 64.0));
    if (p->npanel < 64) p->npanel = 64;
    p->panel = p->t_end / p->npanel;
    free(p->tab);
    p->tab = xmalloc((size_t)(p->npanel + 1) * 3 * sizeof *p->tab);
    p->tab[0] = p->tab[1] = p->tab[2] = 0.0;
    for (int k = 0; k < p->npanel; k++) {
        double t0 = panel_edge(p, k), t1 = panel_edge(p, k + 1), J0 = p->tab[3 * k];
        p->tab[3 * (k + 1)] = J0 + gl_clock(p, t0, t1);
        for (int i = 0; i < 2; i++) p->tab[3 * (k + 1) + 1 + i] = p->tab[3 * k + 1 + i] + gl_accretion(p, i, t0, t1, t0, J0);
    }
    /* the period count once more with the table, so that Phi(t_end) = N to rounding */
    p->a = pow(p->tab[3 * p->npanel] / p->n_periods, 2.0 / 3.0);
    for (int k = 0; k < p->npanel; k++) {
        double t0 = panel_edge(p, k), t1 = panel_edge(p, k + 1), J0 = p->tab[3 * k];
        for (int i = 0; i < 2; i++) p->tab[3 * (k + 1) + 1 + i] = p->tab[3 * k + 1 + i] + gl_accretion(p, i, t0, t1, t0, J0);
    }
    for (int i = 0; i < 2; i++) p->mdot0[i] = (p->m_end[i] - p->m_form) / p->tab[3 * p->npanel + 1 + i];
    return 0;
}

void binary_free(binary_params *p)
{
    free(p->tab);
    p->tab = NULL;
}

double binary_roche_fraction(double q)
{
    double q13 = cbrt(q), q23 = q13 * q13;
    return 0.49 * q23 / (0.6 * q23 + log(1.0 + q13));
}

double binary_period(const binary_params *p, double t)
{
    double m = secular_mass(p, 0, t) + secular_mass(p, 1, t);
    return 2.0 * BIN_PI * sqrt(p->a * p->a * p->a / (BIN_G * m));
}

long binary_snapshots(const binary_params *p, double dt, double *t)
{
    long n = (long)floor((p->t_end - p->t2_form) / dt * (1.0 + 1e-12)) + 1;
    if (t)
        for (long k = 0; k < n; k++) t[k] = p->t_end - (double)(n - 1 - k) * dt;
    return n;
}

/* ---- the state at t ------------------------------------------------------------------------ */

static double kepler_E(double M, double e)
{
    double E = e < 0.8 ? M : BIN_PI;
    for (int i = 0; i < 50; i++) {
        double d = (E - e * sin(E) - M) / (1.0 - e * cos(E));
        E -= d;
        if (fabs(d) < 1e-15) break;
    }
    return E;
}

void binary_state_at(const binary_params *p, double t, binary_state *s)
{
    memset(s, 0, sizeof *s);
    s->t = t;
    double J = clock_at(p, t);
    s->phase = J * pow(p->a, -1.5);
    for (int i = 0; i < 2; i++) {
        s->t_i[i] = age(p, i, t);
        s->m[i] = p->m_form + p->mdot0[i] * accretion_integral(p, i, t);
        s->m_sec[i] = secular_mass(p, i, t);
        s->mdot[i] = p->mdot0[i] * accretion_shape(p, i, t, J);
        s->lum[i] = BIN_G * s->m[i] * s->mdot[i] / (2.0 * p->r_acc) + p->l_phot;
    }
    /* Kepler orbit of the relative vector s = r2 - r1 (periastron at integer phase) */
    double e = p->ecc, mt = s->m_sec[0] + s->m_sec[1];
    double Manom = 2.0 * BIN_PI * (s->phase - floor(s->phase)), E = kepler_E(Manom, e);
    double nu = 2.0 * atan2(sqrt(1.0 + e) * sin(0.5 * E), sqrt(1.0 - e) * cos(0.5 * E));
    double rr = p->a * (1.0 - e * cos(E)), vfac = sqrt(BIN_G * mt / (p->a * (1.0 - e * e)));
    cross(p->n_orb, p->p_orb, s->q_orb);
    double rel[3], vrel[3];
    for (int k = 0; k < 3; k++) {
        rel[k] = rr * (cos(nu) * p->p_orb[k] + sin(nu) * s->q_orb[k]);
        vrel[k] = vfac * (-sin(nu) * p->p_orb[k] + (e + cos(nu)) * s->q_orb[k]);
    }
    double f1 = s->m_sec[1] / mt, f2 = s->m_sec[0] / mt;
    for (int k = 0; k < 3; k++) {
        s->r[0][k] = -f1 * rel[k], s->r[1][k] = f2 * rel[k];
        s->v[0][k] = -f1 * vrel[k], s->v[1][k] = f2 * vrel[k];
    }
    s->sep = rr;
    s->spin_angle = nu; /* azimuth of the separation vector from the periastron direction */
    /* disks */
    double psi = 2.0 * BIN_PI * s->phase / p->prec_orbits;
    for (int i = 0; i < 2; i++) {
        double q = s->m[i] / s->m[1 - i], grow = s->t_i[i] > 0 ? 1.0 - exp(-s->t_i[i] / p->tau_disk) : 0.0;
        s->rd[i] = p->f_trunc * binary_roche_fraction(q) * p->a * (1.0 - e) * grow;
        s->md[i] = s->rd[i] > 0 ? p->f_disk * s->m[i] : 0.0;
        s->sigma0[i] = s->rd[i] > 0 ? s->md[i] / (2.0 * BIN_PI * s->rd[i] * s->rd[i] * GAMMA_5_4) : 0.0;
        double b = p->misalign[i], ph = p->prec_phase0[i] + psi;
        for (int k = 0; k < 3; k++)
            s->J[i][k] = cos(b) * p->n_orb[k] + sin(b) * (cos(ph) * p->p_orb[k] + sin(ph) * s->q_orb[k]);
    }
    /* envelope and cavities */
    double mtot = s->m[0] + s->m[1];
    s->mdot_env = p->mdot_env0 * exp(-t / p->t_env);
    s->rho_env0 = s->mdot_env / (4.0 * BIN_PI * sqrt(2.0 * BIN_G * mtot));
    double th = p->cav_theta0 + p->cav_rate * t;
    s->cav_cos = cos(th < p->cav_max ? th : p->cav_max);
    s->cav_wall = sin(acos(fmin(s->cav_cos, 1.0))) * 0.0175 + 1e-12;
    /* ring: mass M_ring = 2 pi rho_p sqrt(2 pi) h [w^2 e^{-R0^2/2w^2} + R0 w sqrt(pi/2) (1 + erf(R0/(w sqrt 2)))] */
    s->ring_r = p->ring_radius * p->a, s->ring_w = p->ring_width * p->a, s->ring_h = 0.5 * s->ring_w;
    double R0 = s->ring_r, w = s->ring_w;
    double radial = w * w * exp(-R0 * R0 / (2 * w * w)) + R0 * w * sqrt(BIN_PI / 2) * (1.0 + erf(R0 / (w * sqrt(2.0))));
    s->ring_rho = p->ring_mass * mtot / (2.0 * BIN_PI * sqrt(2.0 * BIN_PI) * s->ring_h * radial);
}

/* ---- the fields at a point ----------------------------------------------------------------- */

double binary_temperature(const binary_params *p, const binary_state *s, const double x[3])
{
    /* sum_i a_i / r_i^2 over one division: a_0 r_1^2 + a_1 r_0^2 over r_0^2 r_1^2 */
    double t4 = p->t100 * p->t100 * p->t100 * p->t100, r100 = 100.0 * BIN_AU, a[2], r2[2];
    for (int i = 0; i < 2; i++) {
        double d[3] = {x[0] - s->r[i][0], x[1] - s->r[i][1], x[2] - s->r[i][2]};
        r2[i] = fmax(dot(d, d), 1e-6 * BIN_AU * BIN_AU);
        a[i] = t4 * (s->lum[i] / BIN_LSUN) * (r100 * r100);
    }
    double T = sqrt(sqrt((a[0] * r2[1] + a[1] * r2[0]) / (r2[0] * r2[1])));
    return T > p->t_floor ? T : p->t_floor;
}

/* 1 / (1 + e^x): the smoothed steps of the cavity walls and of the dust's sublimation. One
 * exponential, and a division only within 25 of the step (beyond, y - y^2 with y = e^-|x| is the
 * same to 2e-22); 0 and 1 beyond 40. render_packet.c has its lanes' twin. */
static double logistic_down(double x)
{
    if (x > 40.0) return 0.0;
    if (x < -40.0) return 1.0;
    double y = exp(-fabs(x)), q = fabs(x) > 25.0 ? y - y * y : y / (1.0 + y);
    return x > 0 ? q : 1.0 - q;
}

/* Disk i: density at x, and (if v) its velocity. (R/100 AU)^(1/4) as two square roots and one
 * exponential for both factors: the rays of an image call this ~10^8 times. */
static double disk_density(const binary_params *p, const binary_state *s, int i, const double *x, double *v)
{
    if (s->rd[i] <= 0) return 0.0;
    double d[3] = {x[0] - s->r[i][0], x[1] - s->r[i][1], x[2] - s->r[i][2]};
    double z = dot(d, s->J[i]), Rv[3] = {d[0] - z * s->J[i][0], d[1] - z * s->J[i][1], d[2] - z * s->J[i][2]};
    double R = sqrt(dot(Rv, Rv));
    if (R > 3.0 * s->rd[i]) return 0.0; /* exp(-81) */
    if (R < 1e-4 * BIN_AU) R = 1e-4 * BIN_AU;
    double H = p->h100 * R * sqrt(sqrt(R * (1.0 / (100.0 * BIN_AU)))), u = R * (1.0 / s->rd[i]), u2 = u * u;
    double iuh = 1.0 / (u * H), zh = z * u * iuh, e = u2 * u2 + 0.5 * zh * zh;
    if (e > 745.0) return 0.0; /* below the smallest double */
    double rho = s->sigma0[i] * exp(-e) * iuh * (1.0 / sqrt(2.0 * BIN_PI));
    if (v) {
        double phi[3], vk = sqrt(BIN_G * s->m[i] / R);
        cross(s->J[i], Rv, phi);
        for (int k = 0; k < 3; k++) v[k] = vk * phi[k] / R + s->v[i][k];
    }
    return rho;
}

static double envelope_density(const binary_params *p, const binary_state *s, const double *x, double *v)
{
    double r = sqrt(dot(x, x));
    if (r > BIN_R_EDGE(p)) return 0.0;
    if (r < 1e-3 * BIN_AU) r = 1e-3 * BIN_AU;
    double sr = sqrt(r), ir3 = 1.0 / (r * sr), rho = s->rho_env0 * ir3, c = dot(x, p->n_orb) * (sr * ir3);
    /* the cavity wall, smoothed over ~1 degree: inside (|cos| above the cavity's) f_cav */
    double xw = (fabs(c) - s->cav_cos) * (1.0 / s->cav_wall);
    rho *= p->f_cav + (1.0 - p->f_cav) * logistic_down(xw);
    if (v) {
        double mt = s->m[0] + s->m[1], vr = -sqrt(2.0 * BIN_G * mt / r), phi[3];
        cross(p->n_orb, x, phi);
        double lphi = sqrt(dot(phi, phi)), sin_th = lphi / r;
        double vphi = sqrt(BIN_G * mt * p->r_c) * sin_th / r;
        for (int k = 0; k < 3; k++) v[k] = vr * x[k] / r + (lphi > 0 ? vphi * phi[k] / lphi : 0.0);
    }
    return rho;
}

/* Ring and streamers share the orbital-plane coordinates; returns the larger and says which. */
static double ring_density(const binary_params *p, const binary_state *s, const double *x, double *v, int *which)
{
    double X = dot(x, p->p_orb), Y = dot(x, s->q_orb), Z = dot(x, p->n_orb), R = sqrt(X * X + Y * Y);
    double zh = Z * (1.0 / s->ring_h), dr = (R - s->ring_r) * (1.0 / s->ring_w), ez = 0.5 * zh * zh, er = ez + 0.5 * dr * dr;
    /* the Gaussians are cut where they fall below 1e-16 of their peak (as the disks are at 3 Rd):
     * most of a ray's samples then skip them */
    double hz = ez < BIN_RING_CUT ? exp(-ez) : 0.0;
    double ring = er < BIN_RING_CUT ? s->ring_rho * exp(-er) : 0.0, str = 0.0;
    if (p->streamer_density > 0 && ez < BIN_RING_CUT) {
        double phi = atan2(Y, X), tp = tan(p->streamer_pitch), sw = 0.5 * s->ring_w;
        for (int i = 0; i < 2; i++) {
            double Xi = dot(s->r[i], p->p_orb), Yi = dot(s->r[i], s->q_orb), Ri = hypot(Xi, Yi);
            if (Ri < 1e-3 * BIN_AU || R < Ri || R > s->ring_r) continue;
            /* the arm from star i trails as a logarithmic spiral: phi_s = phi_i - ln(R / R_i) / tan(pitch) */
            double phis = atan2(Yi, Xi) - (log(R) - log(Ri)) * (1.0 / tp), a = phi - phis;
            /* a reduced to [-pi, pi] (the nearest-even rounding that render_packet.c's lanes also use) */
            double dphi = a - 2.0 * BIN_PI * nearbyint(a * (1.0 / (2.0 * BIN_PI)));
            double dperp = R * dphi * (sin(p->streamer_pitch) / sw), e = 0.5 * dperp * dperp;
            double d = e < BIN_RING_CUT ? p->streamer_density * s->ring_rho * exp(-e) * hz : 0.0;
            if (d > str) str = d;
        }
    }
    *which = str > ring ? 5 : 4;
    if (v && R > 0) {
        double vk = sqrt(BIN_G * (s->m[0] + s->m[1]) / R), phi[3];
        cross(p->n_orb, x, phi);
        double l = sqrt(dot(phi, phi));
        for (int k = 0; k < 3; k++) v[k] = l > 0 ? vk * phi[k] / l : 0.0;
    }
    return ring + str;
}

/* The fields at x; velocities only where asked (the dust continuum needs none). */
static void eval_fields(const binary_params *p, const binary_state *s, const double x[3], binary_point *out, int with_v)
{
    double vd[3][3] = {{0}}, rho[4];
    int which = 4;
    rho[0] = disk_density(p, s, 0, x, with_v ? vd[0] : NULL);
    rho[1] = disk_density(p, s, 1, x, with_v ? vd[1] : NULL);
    rho[2] = envelope_density(p, s, x, with_v ? vd[2] : NULL);
    double vr[3] = {0, 0, 0};
    rho[3] = dot(x, x) <= BIN_R_EDGE(p) * BIN_R_EDGE(p) ? ring_density(p, s, x, with_v ? vr : NULL, &which) : 0.0;
    int best = 0;
    for (int c = 1; c < 4; c++)
        if (rho[c] > rho[best]) best = c;
    out->rho = rho[0] + rho[1] + rho[2] + rho[3];
    out->T = binary_temperature(p, s, x);
    /* dust sublimates over ~50 K about T_sub (a step would make every ray's optical depth
     * converge only to first order in the step) */
    out->rho_dust_free = out->rho * logistic_down((out->T - p->t_sub) * (1.0 / 50.0));
    out->component = out->rho > 0 ? (best < 3 ? best + 1 : which) : 0;
    /* the mass-weighted velocity of the components (a smooth field where they overlap) */
    for (int k = 0; k < 3; k++)
        out->v[k] = with_v && out->rho > 0 ? (rho[0] * vd[0][k] + rho[1] * vd[1][k] + rho[2] * vd[2][k] + rho[3] * vr[k]) / out->rho
                                           : 0.0;
}

void binary_eval(const binary_params *p, const binary_state *s, const double x[3], binary_point *out)
{
    eval_fields(p, s, x, out, 1);
}

void binary_eval_density(const binary_params *p, const binary_state *s, const double x[3], binary_point *out)
{
    eval_fields(p, s, x, out, 0);
}

/* ---- gas mass about a star ----------------------------------------------------------------- */

/* Disk j's mass inside the sphere of radius Rs about c: for each column (R, phi) of the disk,
 * the Gaussian's share between the sphere's two surfaces, integrated over the disk's plane. */
static double disk_mass_in_sphere(const binary_params *p, const binary_state *s, int j, const double *c, double Rs)
{
    if (s->rd[j] <= 0) return 0.0;
    double d[3] = {c[0] - s->r[j][0], c[1] - s->r[j][1], c[2] - s->r[j][2]};
    double cz = dot(d, s->J[j]), cv[3] = {d[0] - cz * s->J[j][0], d[1] - cz * s->J[j][1], d[2] - cz * s->J[j][2]};
    double cR = sqrt(dot(cv, cv));
    if (cR - Rs > 3.0 * s->rd[j] || fabs(cz) > Rs + 3.0 * s->rd[j]) return 0.0;
    /* in-plane: log panels in R, split where the column leaves the sphere (cR -/+ Rs), and the
     * azimuth about the direction of c up to the sphere's edge (the integrand is smooth inside) */
    double lo = 1e-4 * BIN_AU, hi = 3.0 * s->rd[j], sum = 0.0;
    double edge[4] = {lo, fmin(fmax(cR - Rs, lo), hi), fmin(fmax(cR + Rs, lo), hi), hi};
    for (int seg = 0; seg < 3; seg++) {
        double l0 = log(edge[seg]), l1 = log(edge[seg + 1]);
        if (l1 <= l0) continue;
        const int NR = 64;
        for (int a = 0; a < NR; a++) {
            double u0 = l0 + (l1 - l0) * a / NR, u1 = l0 + (l1 - l0) * (a + 1) / NR;
            for (int k = 0; k < 8; k++) {
                double u = 0.5 * (u0 + u1) + 0.5 * (u1 - u0) * GL_X[k], R = exp(u), wR = 0.5 * (u1 - u0) * GL_W[k] * R * R;
                double H = p->h100 * R * pow(R / (100.0 * BIN_AU), 0.25), x = R / s->rd[j], s2 = sqrt(2.0) * H;
                double sigma = s->sigma0[j] / x * exp(-x * x * x * x), az = 0.0;
                double ce = cR > 0 ? (R * R + cR * cR - Rs * Rs) / (2.0 * R * cR) : -2.0;
                if (ce >= 1.0) continue; /* the column misses the sphere */
                double phe = ce <= -1.0 ? BIN_PI : acos(ce);
                const int NP = cR > 0 ? 24 : 1;
                for (int b = 0; b < NP; b++)
                    for (int l = 0; l < 8; l++) {
                        double ph = phe * (b + 0.5 + 0.5 * GL_X[l]) / NP, w = phe / NP * 0.5 * GL_W[l];
                        double rho2 = R * R + cR * cR - 2.0 * R * cR * cos(ph), h2 = Rs * Rs - rho2;
                        if (h2 <= 0) continue;
                        double hh = sqrt(h2);
                        az += w * 0.5 * (erf((cz + hh) / s2) - erf((cz - hh) / s2));
                    }
                sum += wR * sigma * 2.0 * az;
            }
        }
    }
    return sum;
}

/* The envelope inside the sphere of radius Rs about c, shell by shell: the shell of radius r
 * about the barycentre meets the sphere in a cap about c^ (all of it while r <= Rs - b), and the
 * part of the cap inside the two cavity cones counts f_cav times. The solid angle of a circle of
 * angular radius th about c^ inside a cone of axis at gamma and half-angle th_c has a closed form
 * (2 arccos X); the integrals over th and r are Gauss-Legendre on panels. */
static double cone_arc(double th, double gamma, double cos_c)
{
    double st = sin(th), sg = sin(gamma);
    if (st * sg < 1e-15) return cos(th) * cos(gamma) >= cos_c ? 2.0 * BIN_PI : 0.0;
    double X = (cos_c - cos(th) * cos(gamma)) / (st * sg);
    return X <= -1.0 ? 2.0 * BIN_PI : X >= 1.0 ? 0.0 : 2.0 * acos(X);
}

static double envelope_mass_in_sphere(const binary_params *p, const binary_state *s, const double *c, double Rs)
{
    double b = sqrt(dot(c, c)), full_w = 4.0 * BIN_PI - (1.0 - p->f_cav) * 4.0 * BIN_PI * (1.0 - s->cav_cos);
    double gamma = b > 0 ? acos(fmax(-1.0, fmin(1.0, dot(c, p->n_orb) / b))) : 0.0, cav = acos(s->cav_cos);
    double rin = Rs > b ? Rs - b : 0.0, rmax = fmin(b + Rs, p->r_out), sum = 0.0;
    /* inside r <= Rs - b the whole shell counts: int rho0 r^1/2 W dr = rho0 W (2/3) rin^3/2 */
    double r_in_clamped = fmin(rin, p->r_out);
    sum += s->rho_env0 * full_w * (2.0 / 3.0) * pow(r_in_clamped, 1.5);
    const int NR = 64, NT = 64;
    double q0 = sqrt(fmin(fabs(b - Rs), rmax)), q1 = sqrt(rmax);
    if (rin > 0) q0 = sqrt(r_in_clamped);
    for (int a = 0; a < NR && q1 > q0; a++) {
        double u0 = q0 + (q1 - q0) * a / NR, u1 = q0 + (q1 - q0) * (a + 1) / NR;
        for (int k = 0; k < 8; k++) {
            double q = 0.5 * (u0 + u1) + 0.5 * (u1 - u0) * GL_X[k], r = q * q, wr = 0.5 * (u1 - u0) * GL_W[k] * 2.0 * q;
            if (r < 1e-3 * BIN_AU || b <= 0) continue;
            double cm = (r * r + b * b - Rs * Rs) / (2.0 * r * b), thm = acos(fmax(-1.0, fmin(1.0, cm))), w = 0.0;
            for (int t = 0; t < NT; t++)
                for (int l = 0; l < 8; l++) {
                    double th = thm * (t + 0.5 + 0.5 * GL_X[l]) / NT, wt = thm / NT * 0.5 * GL_W[l] * sin(th);
                    double in_cav = cone_arc(th, gamma, s->cav_cos) + cone_arc(th, BIN_PI - gamma, s->cav_cos);
                    w += wt * (2.0 * BIN_PI - (1.0 - p->f_cav) * fmin(in_cav, 2.0 * BIN_PI));
                }
            (void)cav;
            sum += wr * s->rho_env0 * pow(r, -1.5) * r * r * w;
        }
    }
    return sum;
}

/* Ring and streamers inside the sphere: Gauss-Legendre in r (panels), cos(theta) and phi about c. */
static double smooth_mass_in_sphere(const binary_params *p, const binary_state *s, const double *c, double Rs)
{
    const int NRP = 24, NT = 48, NPH = 64;
    double sum = 0.0;
    if (p->ring_mass <= 0) return 0.0;
    for (int a = 0; a < NRP; a++) {
        double q0 = Rs * a / NRP, q1 = Rs * (a + 1) / NRP;
        for (int k = 0; k < 8; k++) {
            double r = 0.5 * (q0 + q1) + 0.5 * (q1 - q0) * GL_X[k], wr = 0.5 * (q1 - q0) * GL_W[k] * r * r;
            for (int it = 0; it < NT / 8; it++)
                for (int l = 0; l < 8; l++) {
                    double mu = -1.0 + 2.0 * (it + 0.5 + 0.5 * GL_X[l]) / (NT / 8), wmu = GL_W[l] / (NT / 8);
                    double st = sqrt(1.0 - mu * mu);
                    for (int ip = 0; ip < NPH; ip++) {
                        double ph = 2.0 * BIN_PI * (ip + 0.5) / NPH; /* periodic: the midpoint rule is spectral */
                        double x[3] = {c[0] + r * st * cos(ph), c[1] + r * st * sin(ph), c[2] + r * mu};
                        int which;
                        double rho = sqrt(dot(x, x)) <= p->r_out ? ring_density(p, s, x, NULL, &which) : 0.0;
                        sum += wr * wmu * (2.0 * BIN_PI / NPH) * rho;
                    }
                }
        }
    }
    return sum;
}

double binary_gas_mass_within(const binary_params *p, const binary_state *s, int i, double radius)
{
    return disk_mass_in_sphere(p, s, 0, s->r[i], radius) + disk_mass_in_sphere(p, s, 1, s->r[i], radius) +
           envelope_mass_in_sphere(p, s, s->r[i], radius) + smooth_mass_in_sphere(p, s, s->r[i], radius);
}
