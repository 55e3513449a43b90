#include "catalogue/cone.h"

#include <math.h>

#define CONE_PI 3.14159265358979323846

static double dot(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
static void cross(const double *a, const double *b, double *c)
{
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}
static void normalise(double *a)
{
    double l = sqrt(dot(a, a));
    for (int k = 0; k < 3; k++) a[k] /= l;
}

void cone_views(const double r1[3], const double r2[3], double p, int K, cone_view *out)
{
    double s[3] = {r2[0] - r1[0], r2[1] - r1[1], r2[2] - r1[2]}, d = sqrt(dot(s, s)), sh[3], e1[3], e2[3];
    for (int k = 0; k < 3; k++) sh[k] = s[k] / d;
    /* e1: the box z-axis projected on the plane normal to s^ ([choice] of the spec) */
    double ax[3] = {0, 0, 1};
    double cz[3];
    cross(ax, sh, cz);
    if (sqrt(dot(cz, cz)) < 1e-6) ax[0] = 1, ax[2] = 0;
    double c = dot(ax, sh);
    for (int k = 0; k < 3; k++) e1[k] = ax[k] - c * sh[k];
    normalise(e1);
    cross(sh, e1, e2);
    int exact = d >= p;
    double alpha = exact ? asin(p / d) : 0.5 * CONE_PI, ca = cos(alpha), sa = sin(alpha);
    for (int i = 0; i < K; i++) {
        cone_view *v = &out[i];
        v->phi = 2.0 * CONE_PI * i / K;
        for (int k = 0; k < 3; k++) v->n[k] = ca * sh[k] + sa * (cos(v->phi) * e1[k] + sin(v->phi) * e2[k]);
        normalise(v->n);
        double sn = dot(s, v->n), perp[3];
        for (int k = 0; k < 3; k++) perp[k] = s[k] - sn * v->n[k];
        v->proj_sep = sqrt(dot(perp, perp));
        for (int k = 0; k < 3; k++) v->u[k] = -perp[k] / v->proj_sep;
        cross(v->u, v->n, v->x);
        v->exact = exact;
    }
}

void cone_project(const cone_view *v, const double centre[3], double pixel, int H, int W, const double x[3], double *row,
                  double *col)
{
    double o[3] = {x[0] - centre[0], x[1] - centre[1], x[2] - centre[2]};
    *col = 0.5 * (W - 1) + dot(o, v->x) / pixel;
    *row = 0.5 * (H - 1) - dot(o, v->u) / pixel;
}

void cone_unproject(const cone_view *v, const double centre[3], double pixel, int H, int W, double row, double col,
                    double x[3])
{
    double a = (col - 0.5 * (W - 1)) * pixel, b = (0.5 * (H - 1) - row) * pixel;
    for (int k = 0; k < 3; k++) x[k] = centre[k] + a * v->x[k] + b * v->u[k];
}
