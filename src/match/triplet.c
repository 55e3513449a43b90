#include "match/triplet.h"

#include <math.h>

double match_triplet_g(double qa, double qj)
{
    double s = qa + qj;
    return s == 0.0 ? 0.0 : fabs(qa - qj) / s;
}

double match_triplet_score(const double *q1, const double *q2, const double *q3, size_t k, double *g)
{
    double score = 0.0;
    for (size_t i = 0; i < k; i++) {
        double g2 = match_triplet_g(q1[i], q2[i]), g3 = match_triplet_g(q1[i], q3[i]);
        if (g) {
            g[i] = g2;
            g[k + i] = g3;
        }
        score += g2 - g3;
    }
    return score;
}

int match_triplet_label(double score, int *p, int *n)
{
    if (score > 0.0) {
        *p = 3;
        *n = 2;
        return 0;
    }
    if (score < 0.0) {
        *p = 2;
        *n = 3;
        return 0;
    }
    *p = *n = 0;
    return -1;
}

static double logistic(double x)
{
    if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

double match_triplet_loss(double d_ap, double d_an, double *P_p, double *P_n)
{
    double s = logistic(d_ap - d_an);
    if (P_p) *P_p = s;
    if (P_n) *P_n = logistic(d_an - d_ap);
    return 2.0 * s;
}

static double sgn(double x)
{
    return (double)((x > 0.0) - (x < 0.0));
}

double match_triplet_loss_grad(const double *fa, const double *fp, const double *fn, size_t dim, double *ga,
                               double *gp, double *gn, double *d_ap, double *d_an)
{
    double ap = 0.0, an = 0.0;
    for (size_t i = 0; i < dim; i++) {
        ap += fabs(fa[i] - fp[i]);
        an += fabs(fa[i] - fn[i]);
    }
    double s = logistic(ap - an), dl = 2.0 * s * (1.0 - s); /* dLoss/dd_ap = -dLoss/dd_an */
    for (size_t i = 0; i < dim; i++) {
        double sp = sgn(fa[i] - fp[i]), sn = sgn(fa[i] - fn[i]);
        ga[i] = dl * (sp - sn);
        gp[i] = -dl * sp;
        gn[i] = dl * sn;
    }
    if (d_ap) *d_ap = ap;
    if (d_an) *d_an = an;
    return 2.0 * s;
}
