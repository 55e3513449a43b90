/**
 * @file solver_fast.c
 * @brief The vectorised solver: the arithmetic of rt_column_reference (solver.c) in the same
 * order, for W columns at once (one per vector lane: 8 with AVX-512, 4 with AVX2) with SLEEF's
 * 1-ulp erf and expm1 and an exp within 1 ulp (inlined with AVX-512, SLEEF's with AVX2). A lane
 * walks its ray exactly as the reference does, so the cumulative optical depth and the intensity
 * sum keep the reference's sequential order.
 *
 * Work per block: one per-point pass (populations, S, width, line-centre opacity) shared by all
 * channels, then per channel two passes along z: the optical-depth increments, then the formal
 * solution (shared with the dust mode). Work no lane needs is skipped (see channel()); the one
 * departure from the reference's numbers is the far-wing cut RT_FAR_B2, bounded below 1e-79 of
 * the opacity per step. The partition function comes from the line's ln Z(ln T) table
 * (partition.h, within 1e-12 of the sum) where T is in its range.
 *
 * Without SLEEF or a vector unit the reference column is used (rt_fast_width() == 0).
 * validation/results/bench_rt.md records what each of these choices measured.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/simd.h"
#include "rt/constants.h"
#include "rt/solver.h"

#define W SIMD_W /* lanes: columns per block */


int rt_fast_width(void) { return W; }

/** ncols consecutive columns with the reference solver (no vector unit, dust mode, other sizes). */
static void columns_reference(const rt_setup *s, int ncols, int nz, const double *vz, const double *T, const double *n,
                              const double *vt, const double *ibdy, double *I)
{
    for (int c = 0; c < ncols; c++) {
        size_t o = (size_t)c * nz;
        rt_column_reference(s, nz, vz + o, T + o, n + o, vt ? vt + o : NULL, ibdy, I + (size_t)c * s->nfreq);
    }
}
int rt_fast_block(void) { return W > 0 ? W : 1; }

#if W == 0

struct rt_work {
    int unused;
};
rt_work *rt_work_new(int nz)
{
    (void)nz;
    return xcalloc(1, sizeof(rt_work));
}
void rt_work_free(rt_work *w) { free(w); }
void rt_fast_exp(const double *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = exp(x[i]);
}
void rt_columns_fast(const rt_setup *s, rt_work *w, int ncols, int nz, const double *vz, const double *T,
                     const double *n, const double *vt, const double *ibdy, double *I)
{
    (void)w;
    columns_reference(s, ncols, nz, vz, T, n, vt, ibdy, I);
}

#else

/** A block of W columns transposed to [z][lane], so every step along z is one vector op. */
struct rt_work {
    int nz;
    double *buf;
    double *vz, *T, *n, *vt;      /* (nz, W) inputs */
    double *S, *adx, *width, *vc; /* (nz, W) per-point quantities shared by all channels */
    double *dt;                   /* (nz, W) one channel's optical-depth increments */
    double *Sf;                   /* (nz, W) dust mode: one channel's source function */
    double *rw;                   /* (nz, W) 1 / width, correctly rounded */
};

rt_work *rt_work_new(int nz)
{
    rt_work *w = xcalloc(1, sizeof *w);
    w->nz = nz;
    enum { NARR = 11 };
    w->buf = xcalloc((size_t)nz * W * NARR, sizeof(double));
    double **arr[NARR] = {&w->vz, &w->T, &w->n, &w->vt, &w->S, &w->adx, &w->width, &w->vc, &w->dt, &w->Sf, &w->rw};
    for (int i = 0; i < NARR; i++) *arr[i] = w->buf + (size_t)i * nz * W;
    return w;
}

void rt_work_free(rt_work *w)
{
    if (!w) return;
    free(w->buf);
    free(w);
}

/** Column c of `ncols` consecutive columns into lane c; missing lanes repeat the last column. */
static void transpose_in(double *dst, const double *src, double fill, int nz, int ncols)
{
    for (int c = 0; c < W; c++) {
        const double *col = src ? src + (size_t)(c < ncols ? c : ncols - 1) * nz : NULL;
        for (int k = 0; k < nz; k++) dst[(size_t)k * W + c] = col ? col[k] : fill;
    }
}

/** ln Z from the line's table (partition.h), lane by lane; the caller checks the range. */
static inline vd lnz_table(const rt_lnz_table *t, vd T)
{
    vd s = (vlog(T) - t->u0) * (1.0 / t->h), r = vsplat(0.0);
    for (int c = 0; c < W; c++) {
        int i = (int)s[c];
        if (i > t->n - 2) i = t->n - 2;
        double x = s[c] - i, y = 1.0 - x;
        r[c] = (1.0 + 2.0 * x) * y * y * t->f[i] + x * y * y * t->d[i] + x * x * (3.0 - 2.0 * x) * t->f[i + 1] -
               x * x * y * t->d[i + 1];
    }
    return r;
}

/** Z summed over the levels (sorted by energy: stops once every remaining level is below half an
 * ulp of the partial sum in every lane, which leaves the value bit-identical to the full sum). */
static inline vd z_sum(const rt_line *L, const double *tail, int sorted, vd beta)
{
    const double half_ulp = 0x1p-54;
    vd z = vsplat(0.0);
    for (int l = 0; l < L->nlev; l++) {
        vd x = vexp(-L->energy[l] * beta);
        if (sorted && l > 0 && vall((vl)(tail[l] * x < z * half_ulp))) break;
        z += L->weight[l] * x;
    }
    return z;
}

/** Per-point pass: S, width, line-centre opacity times dx, v/c (rt_line_point, vectorised). The
 * partition function comes from the line's ln Z table where every lane's T is in its range (one
 * log instead of up to nlev exponentials), otherwise from the sum. */
static void points(const rt_setup *s, rt_work *w)
{
    const rt_line *L = s->line;
    double tail[256]; /* tail[l] = sum of the weights of levels l.. (the early-stop bound) */
    int sorted = L->nlev <= 256;
    for (int l = 1; l < L->nlev && sorted; l++) sorted = L->energy[l] >= L->energy[l - 1];
    if (sorted) {
        double t = 0.0;
        for (int l = L->nlev - 1; l >= 0; l--) tail[l] = t += L->weight[l];
    }
    const int table = L->lnz.f != NULL;
    const double ha = L->h_nu_4pi * L->A, nc = L->nu0 / RT_C;
    const double gu = L->weight[L->up], gl = L->weight[L->lo], eu = L->energy[L->up], el = L->energy[L->lo];
    for (size_t k = 0; k < (size_t)w->nz * W; k += W) {
        vd T = vload(w->T + k), beta = 1.0 / (RT_KB * T), pu, pl;
        if (table && vall((vl)(T >= L->lnz.T_lo) & (vl)(T <= L->lnz.T_hi))) {
            vd lnz = lnz_table(&L->lnz, T);
            pu = gu * vexp(-eu * beta - lnz);
            pl = gl * vexp(-el * beta - lnz);
        } else {
            vd z = z_sum(L, tail, sorted, beta);
            pu = gu * vexp(-eu * beta) / z;
            pl = gl * vexp(-el * beta) / z;
        }
        vd eta = ha * pu, chi = L->h_nu_4pi * (L->Blu * pl - L->Bul * pu), vt = vload(w->vt + k);
        vd width = nc * vsqrt(2.0 * RT_KB * T / L->mass + vt * vt);
        vstore(w->S + k, eta / chi);
        vstore(w->width + k, width);
        vstore(w->rw + k, 1.0 / width);
        vstore(w->adx + k, chi * vload(w->n + k) / (RT_SQRT_PI * width) * s->dx);
        vstore(w->vc + k, vload(w->vz + k) / RT_C);
    }
}

/* The far-wing cut: where b^2 > RT_FAR_B2 in every lane, exp(-b^2) is taken as 0 (*far). It
 * underflows to 0 only beyond b^2 = 745; the cut at 200 moves the steps between into the
 * skipped class (on the generated 64^3 views with 150-300 m/s turbulence, exp(-b^2) was needed at
 * 70 % of the points with the cut at 750). Bound: exp(-200) = 1.4e-87. A step with one end cut
 * changes (a1 - a0)(G0 - G1) 0.5/db^2 by at most |a1 - a0| 1.4e-87 / (2 (1e-4)^2) < 1e-79 |a1 - a0|
 * (db >= 1e-4 on the exact branch; the small-shift branch changes by less than (a0 + a1) 1.4e-87);
 * a step with both ends cut (and erf equal) is skipped, where the reference's dtau is bounded by
 * the same figures. Against optical depths of at least 1e-30 that matter, nothing changes. */
#define RT_FAR_B2 200.0

/** b, exp(-b^2), erf(b) at point k. Far wings skip the calls: erf(b) rounds to +-1 exactly for
 * |b| >= 6, and exp(-b^2) is cut to 0 where b^2 > RT_FAR_B2 in every lane (*far says so). */
/** x / w correctly rounded without a division (one per point and channel was the largest single
 * cost of the far-wing steps): q0 = x (1/w), then one correction with the exact residual
 * x - q0 w (a fused multiply-add). With 1/w correctly rounded and q0 within an ulp, the corrected
 * quotient is the correctly rounded x / w (Markstein's theorem; no underflow here: |x| and w are
 * Hz-sized). Checked against the division on 2.2e8 random and near-2 mantissa pairs: 0 mismatches;
 * the images of the benchmark's cases are bit-identical to the division's. */
static inline vd vdiv_rw(vd x, vd w, vd rw)
{
#if W == 8
    __m512d q0 = _mm512_mul_pd((__m512d)x, (__m512d)rw), e = _mm512_fnmadd_pd(q0, (__m512d)w, (__m512d)x);
    return (vd)_mm512_fmadd_pd(e, (__m512d)rw, q0);
#else
    __m256d q0 = _mm256_mul_pd((__m256d)x, (__m256d)rw), e = _mm256_fnmadd_pd(q0, (__m256d)w, (__m256d)x);
    return (vd)_mm256_fmadd_pd(e, (__m256d)rw, q0);
#endif
}

static inline void profile(const rt_work *w, size_t k, double off, double nu, vd *b, vd *G, vd *R, int *far)
{
    *b = vdiv_rw(off + nu * vload(w->vc + k), vload(w->width + k), vload(w->rw + k));
    vd b2 = *b * *b, ab = vabs(*b);
    *far = vall((vl)(b2 > RT_FAR_B2));
    *G = *far ? vsplat(0.0) : vexp(-*b * *b);
    *R = vall((vl)(ab >= 6.0)) ? vblend((vl)(*b > 0.0), vsplat(1.0), vsplat(-1.0)) : verf(*b);
}

/** One channel for the W columns of the block: spec 8 (optical depth) and 9 (formal solution),
 * with every lane's result the one of the blends of all forms (formal.h), sums in the reference's
 * sequential order. Two passes along z: the optical-depth increments first (no dependence between
 * steps, so the out-of-order core overlaps the exp/erf/divisions of neighbouring steps), then the
 * running tau, exp(-tau) and I (the only chain). A form no lane takes is not computed, and exact
 * shortcuts skip work (on 64^3 generated views ~60 % of the steps are in the far wings of every
 * lane, and tau stays bit-unchanged in ~70 %):
 *  - both ends with exp(-b^2) = 0 (or cut, RT_FAR_B2) and equal erf in every lane: dtau = +-0
 *    exactly; a step with dtau = +-0 in every lane adds +-0 to I and leaves tau (and exp(-tau))
 *    as they are: skipped;
 *  - tau_k+1 == tau_k bit for bit in every lane: exp(-tau_k+1) is exp(-tau_k), already known;
 *  - |tau_k+1| <= 2^-54 in every lane: exp(-tau_k+1) rounds to 1 (1 -+ x lies within half an ulp
 *    of 1), what a correctly rounded exp gives. */
static vd formal(const rt_work *w, const double *S, double ibdy);

static vd channel(const rt_setup *s, const rt_work *w, double nu, double ibdy)
{
    const double off = nu - s->line->nu0;
    const int nz = w->nz;
    vd b0, G0, R0, b1, G1, R1;
    int far0, far1;
    profile(w, 0, off, nu, &b0, &G0, &R0, &far0);
    vd a0 = vload(w->adx);
    for (int k = 1; k < nz; k++) {
        size_t o = (size_t)k * W;
        profile(w, o, off, nu, &b1, &G1, &R1, &far1);
        vd a1 = vload(w->adx + o), dt = vsplat(0.0);
        if (!(far0 && far1 && vall((vl)(R0 == R1)))) {
            vd db = b1 - b0;
            vl shift_small = (vl)(vabs(db) < RT_DTAU_SHIFT_SMALL);
            if (!vany(shift_small)) dt = RT_DTAU_EXACT(a0, a1, b0, b1, db, G0, G1, R0, R1);
            else if (vall(shift_small)) dt = RT_DTAU_SMALL(a0, a1, b0, db, G0);
            else dt = vblend(shift_small, RT_DTAU_SMALL(a0, a1, b0, db, G0), RT_DTAU_EXACT(a0, a1, b0, b1, db, G0, G1, R0, R1));
        }
        vstore(w->dt + o - W, dt);
        b0 = b1, G0 = G1, R0 = R1, a0 = a1, far0 = far1;
    }
    return formal(w, w->S, ibdy);
}

/** Spec 9 on the block's increments w->dt and source function S (nz, W): the running tau,
 * exp(-tau) and I, with the exact shortcuts described at channel(). */
static vd formal(const rt_work *w, const double *S, double ibdy)
{
    const int nz = w->nz;
    vd S0 = vload(S), tau = vsplat(0.0), e0 = vsplat(1.0), I = vsplat(0.0);
    for (int k = 1; k < nz; k++) {
        size_t o = (size_t)k * W;
        vd dt = vload(w->dt + o - W);
        if (vall((vl)(dt == 0.0))) {
            S0 = vload(S + o);
            continue;
        }
        vd S1 = vload(S + o), tau1 = tau + dt, e1;
        if (vall((vl)(tau1 == tau))) e1 = e0;
        else if (vall((vl)(vabs(tau1) <= 0x1p-54))) e1 = vsplat(1.0);
        else e1 = vexp(-tau1);
        vl thin_m = (vl)(dt < RT_THIN_DTAU), series_m = (vl)(dt < RT_SERIES_DTAU);
        vd dI;
        if (vall(thin_m)) {
            RT_STEP_THIN(vd, dt, S0, S1, e0, e1, dI);
        } else if (!vany(series_m)) {
            dI = RT_STEP_CLOSED(dt, S0, S1, e0, e1);
        } else {
            vd thin, series = RT_STEP_SERIES(dt, S0, S1, e0);
            RT_STEP_THIN(vd, dt, S0, S1, e0, e1, thin);
            vd rest = vall(series_m) ? series : vblend(series_m, series, RT_STEP_CLOSED(dt, S0, S1, e0, e1));
            dI = vblend(thin_m, thin, rest);
        }
        I += dI;
        tau = tau1, e0 = e1, S0 = S1;
    }
    return I + ibdy * e0;
}

/** Dust mode (spec 15), one channel for the block: the arithmetic of column_dust (solver.c) in its
 * order, kappa rho with rho per point from w->adx, S = B_nu(T) with SLEEF's 1-ulp expm1, the
 * trapezoid optical depth, then the same formal solution as the line. */
static vd channel_dust(const rt_setup *s, rt_work *w, double nu, double ibdy)
{
    const rt_dust *d = &s->dust;
    const double kappa = d->kappa0 * pow(nu / d->nu_ref, d->beta), c0 = 2.0 * RT_H / (RT_C * RT_C) * nu * nu * nu,
                 hnu = RT_H * nu, hdx = 0.5 * s->dx;
    vd chi0 = kappa * vload(w->adx);
    vstore(w->Sf, c0 / vexpm1(hnu / (RT_KB * vload(w->T))));
    for (int k = 1; k < w->nz; k++) {
        size_t o = (size_t)k * W;
        vd chi1 = kappa * vload(w->adx + o);
        vstore(w->Sf + o, c0 / vexpm1(hnu / (RT_KB * vload(w->T + o))));
        vstore(w->dt + o - W, hdx * (chi0 + chi1));
        chi0 = chi1;
    }
    return formal(w, w->Sf, ibdy);
}

void rt_fast_exp(const double *x, double *y, size_t n)
{
    for (size_t i = 0; i + W <= n; i += W) vstore(y + i, vexp(vload(x + i)));
    for (size_t i = n / W * W; i < n; i++) y[i] = exp(x[i]);
}

void rt_columns_fast(const rt_setup *s, rt_work *w, int ncols, int nz, const double *vz, const double *T,
                     const double *n, const double *vt, const double *ibdy, double *I)
{
    if (nz != w->nz || ncols > W) {
        columns_reference(s, ncols, nz, vz, T, n, vt, ibdy, I);
        return;
    }
    if (s->mode == RT_MODE_DUST) {
        const rt_dust *d = &s->dust;
        transpose_in(w->T, T, 0.0, nz, ncols);
        transpose_in(w->n, n, 0.0, nz, ncols);
        for (size_t k = 0; k < (size_t)nz * W; k += W) /* rho, as column_dust forms it */
            vstore(w->adx + k, d->mu_h2 * RT_AMU * vload(w->n + k) / d->x_co);
        for (int f = 0; f < s->nfreq; f++) {
            vd i = channel_dust(s, w, s->freq[f], ibdy[f]);
            for (int c = 0; c < ncols; c++) I[(size_t)c * s->nfreq + f] = i[c];
        }
        return;
    }
    transpose_in(w->vz, vz, 0.0, nz, ncols);
    transpose_in(w->T, T, 0.0, nz, ncols);
    transpose_in(w->n, n, 0.0, nz, ncols);
    transpose_in(w->vt, vt, s->v_turb, nz, ncols);
    points(s, w);
    for (int f = 0; f < s->nfreq; f++) {
        vd i = channel(s, w, s->freq[f], ibdy[f]);
        for (int c = 0; c < ncols; c++) I[(size_t)c * s->nfreq + f] = i[c];
    }
}

#endif
