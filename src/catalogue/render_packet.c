/**
 * @file render_packet.c
 * @brief The dust continuum of SIMD_W rays at once, one per vector lane: render.c's scalar ray
 * (sample_ray, step_at and solve_ray in dust mode) and binary.c's density and temperature
 * (eval_fields without velocities), written again on vectors with the same operations in the same
 * order. A lane therefore takes the steps its scalar ray takes, and its intensity differs from
 * the scalar one only by the rounding of the vector exp, log and atan2 (within 1 ulp each) and of
 * B_nu's expm1 (3 ulp; test_packets compares the two paths on whole images: 1e-14). With AVX2 a
 * packet is 4 rays (SLEEF's exp), the same code.
 *
 * Why: an 800 x 800 image is 640,000 rays of ~150 samples, each sample a dozen branches, three or
 * four exponentials and a square root or five; one at a time they cost ~10 s an image, and the
 * catalogue needs ~2 s. The rays of a packet are neighbouring pixels of a row, which take nearly
 * the same number of steps, so a lane whose ray has ended idles only for a few steps; a branch of
 * the model that no lane needs (a disk, the streamers) is skipped for the whole packet.
 *
 * Without a vector unit (render_packet_width() == 0) render.c takes one ray at a time.
 */
#include "catalogue/render_packet.h"

#include <math.h>

#include "core/simd.h"
#include "rt/constants.h"
#include "rt/formal.h"

int render_packet_width(void) { return SIMD_W; }

#if SIMD_W == 0

void render_dust_packet(const render_setup *rs, const binary_params *p, const binary_state *s, const cone_view *v,
                        const double (*P)[3], int nrays, double scale, double *I)
{
    (void)rs, (void)p, (void)s, (void)v, (void)P, (void)nrays, (void)scale, (void)I;
}

#else

typedef struct {
    vd c[3];
} vec3;

static inline vd vdot(const vec3 *a, const double *b) { return a->c[0] * b[0] + a->c[1] * b[1] + a->c[2] * b[2]; }
static inline vd vdot2(const vec3 *a, const vec3 *b)
{
    return a->c[0] * b->c[0] + a->c[1] * b->c[1] + a->c[2] * b->c[2];
}
static inline vec3 vsub(const vec3 *a, const double *b)
{
    return (vec3){{a->c[0] - b[0], a->c[1] - b[1], a->c[2] - b[2]}};
}
/** exp(-e) for e >= 0, with e clamped where the result is zero anyway (the caller masks those lanes):
 * no lane's argument leaves the range where the inlined exp is exact to 1 ulp. */
static inline vd vexp_neg(vd e) { return vexp(-vmin(e, vsplat(746.0))); }

/* binary.c's logistic_down, 1 / (1 + e^x), with its division only where a lane needs it. */
static inline vd logistic_down(vd x)
{
    vd ax = vabs(x), y = vexp(-vmin(ax, vsplat(41.0))), q = y - y * y;
    vl mid = (vl)(ax <= 25.0);
    if (vany(mid)) q = vblend(mid, y / (1.0 + y), q);
    vd r = vblend((vl)(x > 0.0), q, 1.0 - q);
    return vblend((vl)(x > 40.0), vsplat(0.0), vblend((vl)(x < -40.0), vsplat(1.0), r));
}

/* expm1 for B_nu = 2 h nu^3 / c^2 / expm1(h nu / k T), inlined (a call to SLEEF's spills every
 * vector register): the Taylor series to x^13 where |x| < ln 2 / 2 (truncation < 5e-18
 * relative), exp(x) - 1 beyond (at most 3 ulp of cancellation). */
static inline vd planck_expm1(vd x)
{
    vd p = vsplat(1.0 / 6227020800.0);
    p = p * x + 1.0 / 479001600.0, p = p * x + 1.0 / 39916800.0, p = p * x + 1.0 / 3628800.0;
    p = p * x + 1.0 / 362880.0, p = p * x + 1.0 / 40320.0, p = p * x + 1.0 / 5040.0, p = p * x + 1.0 / 720.0;
    p = p * x + 1.0 / 120.0, p = p * x + 1.0 / 24.0, p = p * x + 1.0 / 6.0, p = p * x + 0.5, p = p * x + 1.0;
    vl small = (vl)(vabs(x) < 0.34657359027997264);
    return vall(small) ? p * x : vblend(small, p * x, vexp(vmin(x, vsplat(709.0))) - 1.0);
}

/** A sample's position, its distances and its place in each disk, shared by the model's fields
 * and the step (the scalar path computes each where it needs it, to the same bits). */
typedef struct {
    vec3 x, d[2];      /* barycentric; from each star */
    vd r2, r, d2[2], di[2];
    int near[2];       /* some lane within 3.5 Rd of disk i: then the four below are set */
    vd z[2], R[2];     /* height above and distance along disk i's plane */
    vd Rc[2], H[2];    /* R floored at 1e-4 AU, and the disk's scale height there */
} sample_geom;

static inline void geom_at(const binary_params *p, const binary_state *s, const vec3 *P0, const double *n, vd t,
                           sample_geom *g)
{
    for (int k = 0; k < 3; k++) g->x.c[k] = P0->c[k] + t * n[k];
    g->r2 = vdot2(&g->x, &g->x), g->r = vsqrt(g->r2);
    for (int i = 0; i < 2; i++) {
        g->d[i] = vsub(&g->x, s->r[i]);
        g->d2[i] = vdot2(&g->d[i], &g->d[i]), g->di[i] = vsqrt(g->d2[i]);
        g->near[i] = 0;
        if (s->rd[i] <= 0) continue;
        const vec3 *d = &g->d[i];
        vd z = vdot(d, s->J[i]);
        vec3 Rv = {{d->c[0] - z * s->J[i][0], d->c[1] - z * s->J[i][1], d->c[2] - z * s->J[i][2]}};
        vd R = vsqrt(vdot2(&Rv, &Rv));
        if (!vany((vl)(R <= 3.5 * s->rd[i]))) continue;
        g->near[i] = 1, g->z[i] = z, g->R[i] = R, g->Rc[i] = vmax(R, vsplat(1e-4 * BIN_AU));
        g->H[i] = p->h100 * g->Rc[i] * vsqrt(vsqrt(g->Rc[i] * (1.0 / (100.0 * BIN_AU))));
    }
}

/* The step at x (render.c's step_at with line = 0). */
static vd step_at(const binary_params *p, const binary_state *s, const sample_geom *g, double tilt, double scale)
{
    vd h = STEP_FRACTION * g->r;
    for (int i = 0; i < 2; i++) {
        h = vmin(STEP_FRACTION * g->di[i], h);
        if (!g->near[i]) continue;
        vd hd = STEP_THICKNESS * vmax(g->H[i], vabs(g->z[i]));
        h = vblend((vl)(g->R[i] <= 3.5 * s->rd[i]) & (vl)(hd < h), hd, h);
    }
    vd Z = vdot(&g->x, p->n_orb), R = vsqrt(vmax(g->r2 - Z * Z, vsplat(0.0)));
    vl in_ring = (vl)(R < s->ring_r + 6.0 * s->ring_w) & (vl)(vabs(Z) < 6.0 * s->ring_h);
    vd hr = STEP_RING * vmax(vsplat(0.5 * s->ring_w), vabs(Z)) / tilt;
    h = vblend(in_ring & (vl)(hr < h), hr, h);
    h *= scale;
    return vmax(h, vsplat(STEP_MIN * scale));
}

/* binary.c's disk_density without the velocity. */
static vd disk_density(const binary_state *s, int i, const sample_geom *g)
{
    if (!g->near[i]) return vsplat(0.0);
    vl in = (vl)(g->R[i] <= 3.0 * s->rd[i]);
    if (!vany(in)) return vsplat(0.0);
    vd u = g->Rc[i] * (1.0 / s->rd[i]), u2 = u * u;
    vd iuh = 1.0 / (u * g->H[i]), zh = g->z[i] * u * iuh, e = u2 * u2 + 0.5 * zh * zh;
    in &= (vl)(e <= 745.0);
    vd rho = s->sigma0[i] * vexp_neg(e) * iuh * (1.0 / sqrt(2.0 * BIN_PI));
    return vblend(in, rho, vsplat(0.0));
}

/* binary.c's envelope_density without the velocity. */
static vd envelope_density(const binary_params *p, const binary_state *s, const sample_geom *g)
{
    vl in = (vl)(g->r <= BIN_R_EDGE(p));
    vd r = vmax(g->r, vsplat(1e-3 * BIN_AU));
    vd sr = vsqrt(r), ir3 = 1.0 / (r * sr), rho = s->rho_env0 * ir3, c = vdot(&g->x, p->n_orb) * (sr * ir3);
    vd xw = (vabs(c) - s->cav_cos) * (1.0 / s->cav_wall);
    rho *= p->f_cav + (1.0 - p->f_cav) * logistic_down(xw);
    return vblend(in, rho, vsplat(0.0));
}

/** The streamers' per-star constants (binary.c's ring_density computes them at every point). */
typedef struct {
    double phi, R, ln_R, inv_tp, sin_sw;
    int on;
} streamer_root;

/* binary.c's ring_density (ring and streamers) without the velocity. */
static vd ring_density(const binary_params *p, const binary_state *s, const streamer_root *root, const sample_geom *g)
{
    vd X = vdot(&g->x, p->p_orb), Y = vdot(&g->x, s->q_orb), Z = vdot(&g->x, p->n_orb), R = vsqrt(X * X + Y * Y);
    vd zh = Z * (1.0 / s->ring_h), dr = (R - s->ring_r) * (1.0 / s->ring_w), ez = 0.5 * zh * zh, er = ez + 0.5 * dr * dr;
    vl lit = (vl)(ez < BIN_RING_CUT), in = (vl)(er < BIN_RING_CUT);
    if (!vany(lit)) return vsplat(0.0); /* er >= ez: no lane sees the ring or a streamer */
    vd hz = vblend(lit, vexp_neg(ez), vsplat(0.0)), str = vsplat(0.0);
    vd ring = vany(in) ? vblend(in, s->ring_rho * vexp_neg(er), vsplat(0.0)) : vsplat(0.0);
    vl on[2];
    for (int i = 0; i < 2; i++) on[i] = root[i].on ? lit & (vl)(R >= root[i].R) & (vl)(R <= s->ring_r) : (vl)(R != R);
    if (p->streamer_density > 0 && vany(on[0] | on[1])) {
        vd phi = vatan2(Y, X), lnR = vlog(R);
        for (int i = 0; i < 2; i++) {
            if (!vany(on[i])) continue;
            vd a = phi - (root[i].phi - (lnR - root[i].ln_R) * root[i].inv_tp);
            vd dphi = a - 2.0 * BIN_PI * vround(a * (1.0 / (2.0 * BIN_PI)));
            vd dperp = R * dphi * root[i].sin_sw, e = 0.5 * dperp * dperp;
            vl near = on[i] & (vl)(e < BIN_RING_CUT);
            if (!vany(near)) continue;
            vd d = p->streamer_density * s->ring_rho * vexp_neg(e) * hz;
            str = vblend(near & (vl)(d > str), d, str);
        }
    }
    return ring + str;
}

/* binary_temperature. */
static vd temperature(const binary_params *p, const binary_state *s, const sample_geom *g)
{
    double t4 = p->t100 * p->t100 * p->t100 * p->t100, r100 = 100.0 * BIN_AU, a[2];
    vd r2[2];
    for (int i = 0; i < 2; i++) {
        r2[i] = vmax(g->d2[i], vsplat(1e-6 * BIN_AU * BIN_AU));
        a[i] = t4 * (s->lum[i] / BIN_LSUN) * (r100 * r100);
    }
    return vmax(vsqrt(vsqrt((a[0] * r2[1] + a[1] * r2[0]) / (r2[0] * r2[1]))), vsplat(p->t_floor));
}

void render_dust_packet(const render_setup *rs, const binary_params *p, const binary_state *s, const cone_view *v,
                        const double (*P)[3], int nrays, double scale, double *I)
{
    const double kappa_g = rs->kappa0 * pow(rs->freq / rs->nu_ref, rs->beta) / rs->gas_to_dust, nu = rs->freq;
    const double tilt = streamer_step_tilt(p, v->n);
    const double planck0 = 2.0 * RT_H / (RT_C * RT_C) * nu * nu * nu, hnu = RT_H * nu;
    streamer_root root[2];
    for (int i = 0; i < 2; i++) {
        double Xi = s->r[i][0] * p->p_orb[0] + s->r[i][1] * p->p_orb[1] + s->r[i][2] * p->p_orb[2];
        double Yi = s->r[i][0] * s->q_orb[0] + s->r[i][1] * s->q_orb[1] + s->r[i][2] * s->q_orb[2];
        double Ri = hypot(Xi, Yi);
        root[i] = (streamer_root){atan2(Yi, Xi), Ri, log(Ri), 1.0 / tan(p->streamer_pitch), sin(p->streamer_pitch) / (0.5 * s->ring_w),
                                  !(Ri < 1e-3 * BIN_AU)};
    }
    /* the lanes: where each ray enters and leaves the model's sphere (a missing lane repeats the last ray) */
    vec3 P0;
    vd t0, t;
    vl alive = (vl)(vsplat(0.0) != vsplat(0.0));
    for (int l = 0; l < SIMD_W; l++) {
        const double *q = P[l < nrays ? l : nrays - 1];
        for (int k = 0; k < 3; k++) P0.c[k][l] = q[k];
        double pn = q[0] * v->n[0] + q[1] * v->n[1] + q[2] * v->n[2];
        double c = q[0] * q[0] + q[1] * q[1] + q[2] * q[2] - p->r_out * p->r_out, disc = pn * pn - c;
        t[l] = disc > 0 ? -pn + sqrt(disc) : 0.0;
        t0[l] = disc > 0 ? -pn - sqrt(disc) : 0.0;
        alive[l] = disc > 0 ? -1 : 0;
    }
    /* the running sums of solve_ray and rt_formal_solution, per lane */
    vd Ipk = vsplat(0.0), tau = vsplat(0.0), e0 = vsplat(1.0), a_prev = vsplat(0.0), S_prev = vsplat(0.0), s_prev = t;
    vl first = alive;
    while (vany(alive)) {
        sample_geom g;
        geom_at(p, s, &P0, v->n, t, &g);
        /* the next sample's position first (a lane ends at the far side of the sphere): its chain of
         * square roots then overlaps this sample's fields in the core */
        vl more = alive & (vl)(t > t0);
        vd t_next = t;
        if (vany(more)) {
            vd tn = t - step_at(p, s, &g, tilt, scale);
            t_next = vblend(more, vblend((vl)(tn > t0), tn, t0), t);
        }
        /* the sample: eval_fields' sum of the components, then dust survival and B_nu */
        vd rho = disk_density(s, 0, &g) + disk_density(s, 1, &g) + envelope_density(p, s, &g);
        rho += vblend((vl)(g.r2 <= BIN_R_EDGE(p) * BIN_R_EDGE(p)), ring_density(p, s, root, &g), vsplat(0.0));
        vd T = temperature(p, s, &g), free = rho * logistic_down((T - p->t_sub) * (1.0 / 50.0));
        vd alpha = kappa_g * free, S = planck0 / planck_expm1(hnu / (RT_KB * T));
        /* the step from the previous sample: trapezoid optical depth, then spec 9's three forms */
        vl step = alive & ~first;
        if (vany(step)) {
            vd dt = 0.5 * (a_prev + alpha) * (s_prev - t), tau1 = tau + dt, e1 = vexp(-tau1), dI;
            vl thin_m = (vl)(dt < RT_THIN_DTAU), series_m = (vl)(dt < RT_SERIES_DTAU);
            RT_STEP_THIN(vd, dt, S_prev, S, e0, e1, dI);
            if (!vall(thin_m)) { /* optically thicker steps (near the stars): the other two forms */
                vd rest = RT_STEP_SERIES(dt, S_prev, S, e0);
                if (!vall(series_m)) rest = vblend(series_m, rest, RT_STEP_CLOSED(dt, S_prev, S, e0, e1));
                dI = vblend(thin_m, dI, rest);
            }
            Ipk = vblend(step, Ipk + dI, Ipk);
            tau = vblend(step, tau1, tau), e0 = vblend(step, e1, e0);
        }
        a_prev = vblend(alive, alpha, a_prev), S_prev = vblend(alive, S, S_prev), s_prev = vblend(alive, t, s_prev);
        first = (vl)(vsplat(0.0) != vsplat(0.0));
        alive = more, t = t_next;
    }
    for (int l = 0; l < nrays; l++) I[l] = Ipk[l];
}

#endif
