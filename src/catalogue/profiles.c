/**
 * @file profiles.c
 * @brief Radial profiles of the gas about a star (profiles.h), by quadrature of the model's
 * density and velocity over each spherical shell.
 *
 * Each shell: 3 Gauss-Legendre nodes in r (the model's power laws are smooth within a shell of
 * 10 % width), 24 panels of 4 Gauss-Legendre nodes in the polar angle about `axis` (0.03 rad
 * apart: the disks' Gaussian thickness, H/R ~ 0.1, spans seven of them), 48 equally spaced
 * azimuths (the trapezoid rule, exact to the last bits for smooth periodic integrands). About
 * 700,000 evaluations of the model per star and snapshot: ~2 % of the time of its eight 800 x 800
 * images. The closed forms of an envelope alone (tests/test_catalogue_model.c) are met to 5e-12
 * (v_r) and 2e-8 (j, the polar quadrature of sin^2 theta).
 */
#include "catalogue/profiles.h"

#include <math.h>
#include <stdlib.h>

#include "core/check.h"

enum { NR = 3, NPANEL = 24, NTH = 4, NPHI = 48 };

static const double GL3_X[NR] = {-0.7745966692414834, 0.0, 0.7745966692414834};
static const double GL3_W[NR] = {0.5555555555555556, 0.8888888888888888, 0.5555555555555556};
static const double GL4_X[NTH] = {-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526};
static const double GL4_W[NTH] = {0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538};

void profile_shell_edges(double lo, double hi, int nshell, double *edges)
{
    for (int k = 0; k <= nshell; k++) edges[k] = lo * pow(hi / lo, (double)k / nshell);
}

static void cross3(const double *a, const double *b, double *c)
{
    c[0] = a[1] * b[2] - a[2] * b[1], c[1] = a[2] * b[0] - a[0] * b[2], c[2] = a[0] * b[1] - a[1] * b[0];
}

void profiles_about(const binary_params *p, const binary_state *s, const double c[3], const double vc[3],
                    const double axis[3], int nshell, const double *edges, double *L, double *vr)
{
    /* an orthonormal frame (e1, e2, axis) */
    double e1[3], e2[3], ref[3] = {1, 0, 0};
    if (fabs(axis[0]) > 0.9) ref[0] = 0, ref[1] = 1;
    cross3(axis, ref, e1);
    double l = sqrt(e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2]);
    for (int k = 0; k < 3; k++) e1[k] /= l;
    cross3(axis, e1, e2);
    /* the angular nodes (direction, weight) once for all shells */
    double(*u)[3] = xmalloc((size_t)NPANEL * NTH * NPHI * sizeof *u), *w = xmalloc((size_t)NPANEL * NTH * NPHI * sizeof *w);
    int nd = 0;
    for (int a = 0; a < NPANEL; a++)
        for (int j = 0; j < NTH; j++) {
            double th = BIN_PI * (a + 0.5 + 0.5 * GL4_X[j]) / NPANEL, wt = BIN_PI / NPANEL * 0.5 * GL4_W[j] * sin(th);
            for (int f = 0; f < NPHI; f++, nd++) {
                double ph = 2.0 * BIN_PI * f / NPHI, st = sin(th);
                for (int k = 0; k < 3; k++) u[nd][k] = st * cos(ph) * e1[k] + st * sin(ph) * e2[k] + cos(th) * axis[k];
                w[nd] = wt * 2.0 * BIN_PI / NPHI;
            }
        }
    for (int sh = 0; sh < nshell; sh++) {
        double m = 0.0, J[3] = {0, 0, 0}, V = 0.0, ra = edges[sh], rb = edges[sh + 1];
        for (int q = 0; q < NR; q++) {
            double r = 0.5 * (ra + rb) + 0.5 * (rb - ra) * GL3_X[q], wr = 0.5 * (rb - ra) * GL3_W[q] * r * r;
            for (int d = 0; d < nd; d++) {
                double x[3] = {c[0] + r * u[d][0], c[1] + r * u[d][1], c[2] + r * u[d][2]}, rel[3], dv[3], j[3];
                binary_point pt;
                binary_eval(p, s, x, &pt);
                if (pt.rho <= 0) continue;
                double dm = pt.rho * wr * w[d];
                for (int k = 0; k < 3; k++) rel[k] = r * u[d][k], dv[k] = pt.v[k] - vc[k];
                cross3(rel, dv, j);
                m += dm;
                for (int k = 0; k < 3; k++) J[k] += dm * j[k];
                V += dm * (dv[0] * u[d][0] + dv[1] * u[d][1] + dv[2] * u[d][2]);
            }
        }
        for (int k = 0; k < 3; k++) L[3 * sh + k] = m > 0 ? J[k] / m : NAN;
        vr[sh] = m > 0 ? V / m : NAN;
    }
    free(u), free(w);
}

void binary_profiles(const binary_params *p, const binary_state *s, int i, int nshell, const double *edges, double *L,
                     double *vr)
{
    profiles_about(p, s, s->r[i], s->v[i], s->J[i], nshell, edges, L, vr);
}
