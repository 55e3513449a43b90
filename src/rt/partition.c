/**
 * @file partition.c
 * @brief Building the ln Z(ln T) table of partition.h.
 */
#include "rt/partition.h"

#include <math.h>
#include <stdlib.h>

#include "core/check.h"
#include "rt/constants.h"

void rt_lnz_table_init(rt_lnz_table *t, int nlev, const double *energy, const double *weight, double T_lo, double T_hi,
                       int n)
{
    t->n = n;
    t->u0 = log(T_lo);
    t->h = (log(T_hi) - t->u0) / (n - 1);
    t->T_lo = T_lo;
    t->T_hi = T_hi;
    t->f = xmalloc((size_t)n * sizeof(double));
    t->d = xmalloc((size_t)n * sizeof(double));
    for (int i = 0; i < n; i++) {
        double beta = 1.0 / (RT_KB * exp(t->u0 + i * t->h)), z = 0.0, ze = 0.0;
        for (int l = 0; l < nlev; l++) {
            double x = weight[l] * exp(-energy[l] * beta);
            z += x;
            ze += energy[l] * beta * x;
        }
        t->f[i] = log(z);
        t->d[i] = t->h * ze / z; /* d ln Z / d ln T = <E> / kT */
    }
}

void rt_lnz_table_free(rt_lnz_table *t)
{
    free(t->f);
    free(t->d);
    t->f = t->d = NULL;
}
