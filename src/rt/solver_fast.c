/**
 * @file solver_fast.c
 * @brief The vectorised column solver: the arithmetic of rt_column_reference (solver.c) in the
 * same order, vectorised along the line of sight with SLEEF's 1-ulp exp and erf (W doubles per
 * call: 8 with AVX-512, 4 with AVX2). Only the serial parts stay scalar: the cumulative optical
 * depth and the sum of the intensity increments, in the reference's sequential order.
 *
 * Work per column: one per-point pass (populations, S, width, line-centre opacity) shared by all
 * channels, then per channel b, exp(-b^2), erf(b), the optical-depth increments, exp(-tau) and
 * the formal solution, each a vector loop over z. The partition function stops summing once
 * every remaining level is below half an ulp of the partial sum in every lane (levels sorted by
 * energy), which leaves its value bit-identical to the full sum.
 *
 * Without SLEEF or a vector unit the reference column is used (rt_fast_width() == 0).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "rt/constants.h"
#include "rt/solver.h"

#if defined(SYNOBS_HAVE_SLEEF) && defined(__AVX512F__)
#define W 8
#elif defined(SYNOBS_HAVE_SLEEF) && defined(__AVX2__) && defined(__FMA__)
#define W 4
#else
#define W 0
#endif

int rt_fast_width(void) { return W; }

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
void rt_column_fast(const rt_setup *s, rt_work *w, int nz, const double *vz, const double *T, const double *n,
                    const double *vt, const double *ibdy, double *I)
{
    (void)w;
    rt_column_reference(s, nz, vz, T, n, vt, ibdy, I);
}

#else

#include <immintrin.h>
#include <sleef.h>

typedef double vd __attribute__((vector_size(8 * W)));
typedef long long vl __attribute__((vector_size(8 * W)));

#if W == 8
static inline vd vexp(vd x) { return (vd)Sleef_expd8_u10avx512f((__m512d)x); }
static inline vd verf(vd x) { return (vd)Sleef_erfd8_u10avx512f((__m512d)x); }
static inline vd vsqrt(vd x) { return (vd)_mm512_sqrt_pd((__m512d)x); }
#else
static inline vd vexp(vd x) { return (vd)Sleef_expd4_u10avx2((__m256d)x); }
static inline vd verf(vd x) { return (vd)Sleef_erfd4_u10avx2((__m256d)x); }
static inline vd vsqrt(vd x) { return (vd)_mm256_sqrt_pd((__m256d)x); }
#endif

static inline vd vload(const double *p)
{
    vd v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void vstore(double *p, vd v) { memcpy(p, &v, sizeof v); }
static inline vd vsplat(double x) { return (vd){0} + x; }
/** m ? a : b per lane (m from a vector comparison: all ones or all zeros). */
static inline vd vblend(vl m, vd a, vd b) { return (vd)(((vl)a & m) | ((vl)b & ~m)); }
static inline vd vabs(vd x) { return (vd)((vl)x & ((vl){0} + 0x7fffffffffffffffLL)); }
static inline int vall(vl m)
{
    for (int i = 0; i < W; i++)
        if (!m[i]) return 0;
    return 1;
}

/** Column arrays, padded to a multiple of W plus one vector so that loads at k+1 stay inside. */
struct rt_work {
    int cap;
    double *buf;
    double *vz, *T, *n, *vt;        /* padded copies of the column */
    double *S, *adx, *width, *vc;   /* per point */
    double *b, *G, *R, *dtau, *tau, *e, *dI; /* per point, one channel at a time */
};

rt_work *rt_work_new(int nz)
{
    rt_work *w = xcalloc(1, sizeof *w);
    w->cap = (nz + W - 1) / W * W + W;
    enum { NARR = 15 };
    w->buf = xcalloc((size_t)w->cap * NARR, sizeof(double));
    double **arr[NARR] = {&w->vz, &w->T, &w->n, &w->vt, &w->S, &w->adx, &w->width, &w->vc,
                          &w->b, &w->G, &w->R, &w->dtau, &w->tau, &w->e, &w->dI};
    for (int i = 0; i < NARR; i++) *arr[i] = w->buf + (size_t)i * w->cap;
    return w;
}

void rt_work_free(rt_work *w)
{
    if (!w) return;
    free(w->buf);
    free(w);
}

/** Copy a column into a padded array, repeating the last value (keeps padding lanes finite). */
static void pad_copy(double *dst, const double *src, double fill, int nz, int cap)
{
    if (src) memcpy(dst, src, (size_t)nz * sizeof *dst);
    else
        for (int k = 0; k < nz; k++) dst[k] = fill;
    for (int k = nz; k < cap; k++) dst[k] = dst[nz - 1];
}

/** Per-point pass: S, width, line-centre opacity times dx, v/c (rt_line_point, vectorised). */
static void points(const rt_setup *s, rt_work *w, int nz)
{
    const rt_line *L = s->line;
    double tail[256]; /* tail[l] = sum of the weights of levels l.. (the early-stop bound) */
    int sorted = L->nlev <= 256;
    for (int l = 1; l < L->nlev && sorted; l++) sorted = L->energy[l] >= L->energy[l - 1];
    if (sorted) {
        double t = 0.0;
        for (int l = L->nlev - 1; l >= 0; l--) tail[l] = t += L->weight[l];
    }
    const double half_ulp = 0x1p-54, ha = L->h_nu_4pi * L->A, nc = L->nu0 / RT_C;
    for (int k = 0; k < nz + 1; k += W) { /* nz + 1: the channel pass reads point k + 1 */
        vd T = vload(w->T + k), beta = 1.0 / (RT_KB * T), z = vsplat(0.0);
        for (int l = 0; l < L->nlev; l++) {
            vd x = vexp(-L->energy[l] * beta);
            /* every level from l on adds less than half an ulp of z: z is final */
            if (sorted && l > 0 && vall((vl)(tail[l] * x < z * half_ulp))) break;
            z += L->weight[l] * x;
        }
        vd pu = L->weight[L->up] * vexp(-L->energy[L->up] * beta) / z;
        vd pl = L->weight[L->lo] * vexp(-L->energy[L->lo] * beta) / z;
        vd eta = ha * pu, chi = L->h_nu_4pi * (L->Blu * pl - L->Bul * pu), vt = vload(w->vt + k);
        vd width = nc * vsqrt(2.0 * RT_KB * T / L->mass + vt * vt);
        vstore(w->S + k, eta / chi);
        vstore(w->width + k, width);
        vstore(w->adx + k, chi * vload(w->n + k) / (RT_SQRT_PI * width) * s->dx);
        vstore(w->vc + k, vload(w->vz + k) / RT_C);
    }
}

/** One channel: I(nu) for the column whose per-point arrays are in w. */
static double channel(const rt_setup *s, rt_work *w, int nz, double nu, double ibdy)
{
    const double off = nu - s->line->nu0;
    for (int k = 0; k < nz + 1; k += W) { /* nz + 1: point nz - 1 may start the last vector */
        vd b = (off + nu * vload(w->vc + k)) / vload(w->width + k);
        vstore(w->b + k, b);
        vstore(w->G + k, vexp(-b * b));
        vstore(w->R + k, verf(b));
    }
    for (int k = 0; k < nz - 1; k += W) { /* spec 8.1 / 8.2 */
        vd a0 = vload(w->adx + k), a1 = vload(w->adx + k + 1), b0 = vload(w->b + k), b1 = vload(w->b + k + 1);
        vd G0 = vload(w->G + k), G1 = vload(w->G + k + 1), R0 = vload(w->R + k), R1 = vload(w->R + k + 1);
        vd db = b1 - b0;
        vd small = 0.5 * (a0 + a1) * G0 - (1.0 / 3.0) * ((a0 + a1) + a1) * (G0 * b0 * db);
        vd exact = ((a1 - a0) * (G0 - G1) + ((RT_SQRT_PI * a1) * b0 - (RT_SQRT_PI * a0) * b1) * (R0 - R1)) *
                   (0.5 / (db * db + 1e-30));
        vstore(w->dtau + k, vblend((vl)(vabs(db) < 1e-4), small, exact));
    }
    double tau = 0.0;
    w->tau[0] = 0.0;
    for (int k = 0; k < nz - 1; k++) w->tau[k + 1] = tau = tau + w->dtau[k];
    for (int k = nz; k < w->cap; k++) w->tau[k] = tau;
    for (int k = 0; k < nz; k += W) vstore(w->e + k, vexp(-vload(w->tau + k)));
    const double q3 = 1.0 / 3.0, q4 = 0.25;
    for (int k = 0; k < nz - 1; k += W) { /* spec 9.1 / 9.2 */
        vd dt = vload(w->dtau + k), e0 = vload(w->e + k), e1 = vload(w->e + k + 1);
        vd S0 = vload(w->S + k), S1 = vload(w->S + k + 1);
        vd c = 0.5 * dt, f0 = c, f1 = c;
        c = c * (q3 * dt);
        f0 += c;
        f1 -= c;
        c = c * (q4 * dt);
        f0 += c;
        f1 -= c;
        vd small = S0 * e0 * f0 + S1 * e1 * f1;
        vd exact = (S0 * (e1 - e0 * (1.0 - dt)) + S1 * (e0 - e1 * (1.0 + dt))) / (dt + 1e-30);
        vstore(w->dI + k, vblend((vl)(dt < 1e-4), small, exact));
    }
    double I = 0.0;
    for (int k = 0; k < nz - 1; k++) I += w->dI[k];
    return I + ibdy * w->e[nz - 1];
}

void rt_column_fast(const rt_setup *s, rt_work *w, int nz, const double *vz, const double *T, const double *n,
                    const double *vt, const double *ibdy, double *I)
{
    if (s->mode != RT_MODE_LINE || nz + W > w->cap) {
        rt_column_reference(s, nz, vz, T, n, vt, ibdy, I);
        return;
    }
    pad_copy(w->vz, vz, 0.0, nz, w->cap);
    pad_copy(w->T, T, 0.0, nz, w->cap);
    pad_copy(w->n, n, 0.0, nz, w->cap);
    pad_copy(w->vt, vt, s->v_turb, nz, w->cap);
    points(s, w, nz);
    for (int f = 0; f < s->nfreq; f++) I[f] = channel(s, w, nz, s->freq[f], ibdy[f]);
}

#endif
