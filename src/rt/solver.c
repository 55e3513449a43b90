/**
 * @file solver.c
 * @brief The reference column solver (spec rt-solver.md 17, in the groupings Pomme uses), the
 * shared formal solution, model checks and the threaded image loop.
 */
#include "rt/solver.h"

#include <math.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/check.h"
#include "rt/constants.h"

int rt_check_model(int nx, int ny, int nz, const double *vz, const double *T, const double *n,
                   const double *v_turb_field)
{
    if (nz < 2) return error_set("the model has %d point(s) along the line of sight; the solver needs at least 2", nz);
    size_t total = (size_t)nx * ny * nz;
    for (size_t i = 0; i < total; i++) {
        const char *bad = NULL;
        if (!isfinite(vz[i])) bad = "v_z is not finite";
        else if (!isfinite(T[i]) || !(T[i] > 0)) bad = "T must be finite and > 0 K";
        else if (!isfinite(n[i]) || !(n[i] >= 0)) bad = "n_CO must be finite and >= 0 m^-3";
        else if (v_turb_field && (!isfinite(v_turb_field[i]) || !(v_turb_field[i] >= 0))) bad = "v_turb must be finite and >= 0 m/s";
        if (bad) {
            size_t z = i % nz, y = i / nz % ny, x = i / nz / ny;
            return error_set("cell [%zu][%zu][%zu]: %s", x, y, z, bad);
        }
    }
    return 0;
}

void rt_boundary_intensity(const rt_setup *s, double *ibdy)
{
    for (int f = 0; f < s->nfreq; f++)
        ibdy[f] = s->boundary == RT_BOUNDARY_CMB ? rt_planck(RT_T_CMB, s->freq[f]) : 0.0;
}

double rt_formal_solution(int nz, const double *dtau, const double *S, double ibdy)
{
    double tau = 0.0, I = 0.0, e0 = 1.0; /* exp(-0) */
    for (int k = 0; k < nz - 1; k++) {
        /* a step of no optical depth adds exactly nothing and leaves tau and e0 as they are (a line's
         * channel far from the gas's velocity: most of its steps) */
        if (dtau[k] == 0.0) continue;
        double dt = dtau[k], tau1 = tau + dt, e1 = exp(-tau1);
        I += rt_formal_step(dt, S[k], S[k + 1], e0, e1);
        tau = tau1;
        e0 = e1;
    }
    return I + ibdy * e0;
}

static void column_line_reference(const rt_setup *s, int nz, const double *vz, const double *T, const double *n,
                                  const double *vt, const double *ibdy, double *I)
{
    const rt_line *line = s->line;
    double *S = xmalloc((size_t)nz * 6 * sizeof *S), *adx = S + nz, *width = adx + nz, *b = width + nz,
           *G = b + nz, *R = G + nz, *dtau = xmalloc((size_t)nz * sizeof *dtau);
    for (int k = 0; k < nz; k++) {
        double eta, chi;
        rt_line_point(line, T[k], vt ? vt[k] : s->v_turb, &eta, &chi, &S[k], &width[k]);
        adx[k] = chi * n[k] / (RT_SQRT_PI * width[k]) * s->dx;
    }
    for (int f = 0; f < s->nfreq; f++) {
        double off = s->freq[f] - line->nu0; /* spec 7: once per channel */
        for (int k = 0; k < nz; k++) {
            b[k] = (off + s->freq[f] * (vz[k] / RT_C)) / width[k];
            G[k] = exp(-b[k] * b[k]);
            R[k] = erf(b[k]);
        }
        for (int k = 0; k < nz - 1; k++)
            dtau[k] = rt_line_dtau(adx[k], adx[k + 1], b[k], b[k + 1], G[k], G[k + 1], R[k], R[k + 1]);
        I[f] = rt_formal_solution(nz, dtau, S, ibdy[f]);
    }
    free(S);
    free(dtau);
}

/** Spec 15: kappa_nu rho, S = B_nu(T) at the observer-frame frequency, trapezoid optical depth. */
static void column_dust(const rt_setup *s, int nz, const double *T, const double *n, const double *ibdy, double *I)
{
    const rt_dust *d = &s->dust;
    double *S = xmalloc((size_t)nz * 2 * sizeof *S), *chi = S + nz, *dtau = xmalloc((size_t)nz * sizeof *dtau);
    for (int f = 0; f < s->nfreq; f++) {
        double kappa = d->kappa0 * pow(s->freq[f] / d->nu_ref, d->beta);
        for (int k = 0; k < nz; k++) {
            double rho = d->mu_h2 * RT_AMU * n[k] / d->x_co;
            chi[k] = kappa * rho;
            S[k] = rt_planck(T[k], s->freq[f]);
        }
        for (int k = 0; k < nz - 1; k++) dtau[k] = 0.5 * s->dx * (chi[k] + chi[k + 1]);
        I[f] = rt_formal_solution(nz, dtau, S, ibdy[f]);
    }
    free(S);
    free(dtau);
}

void rt_column_reference(const rt_setup *s, int nz, const double *vz, const double *T, const double *n,
                         const double *vt, const double *ibdy, double *I)
{
    if (s->mode == RT_MODE_DUST) column_dust(s, nz, T, n, ibdy, I);
    else column_line_reference(s, nz, vz, T, n, vt, ibdy, I);
}

void rt_image_reference(const rt_setup *s, int nx, int ny, int nz, const double *vz, const double *T,
                        const double *n, double *I)
{
    double *ibdy = xmalloc((size_t)s->nfreq * sizeof *ibdy);
    rt_boundary_intensity(s, ibdy);
    for (size_t c = 0; c < (size_t)nx * ny; c++) {
        size_t o = c * nz;
        rt_column_reference(s, nz, vz + o, T + o, n + o, s->v_turb_field ? s->v_turb_field + o : NULL, ibdy,
                            I + c * s->nfreq);
    }
    free(ibdy);
}

void rt_image(const rt_setup *s, int nx, int ny, int nz, const double *vz, const double *T, const double *n,
              double *I, int threads)
{
    double *ibdy = xmalloc((size_t)s->nfreq * sizeof *ibdy);
    rt_boundary_intensity(s, ibdy);
    const int blk = rt_fast_block();
    long ncol = (long)nx * ny, nblk = (ncol + blk - 1) / blk;
#ifdef _OPENMP
    if (threads <= 0) threads = omp_get_num_procs();
#pragma omp parallel num_threads(threads)
#endif
    {
        rt_work *w = rt_work_new(nz);
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
        for (long b = 0; b < nblk; b++) {
            long c = b * blk;
            size_t o = (size_t)c * nz;
            rt_columns_fast(s, w, (int)(ncol - c < blk ? ncol - c : blk), nz, vz + o, T + o, n + o,
                            s->v_turb_field ? s->v_turb_field + o : NULL, ibdy, I + (size_t)c * s->nfreq);
        }
        rt_work_free(w);
    }
    (void)threads;
    free(ibdy);
}
