/**
 * @file partition.h
 * @brief The LTE partition function as a table: ln Z against u = ln T on a uniform grid, with its
 * derivative, evaluated by cubic Hermite interpolation. Summing Z directly costs one exponential
 * per level (41 for CO) at every grid point and was most of a 64^3 image's time; the table costs
 * one log and a few multiplications, and its error (below 1e-13 relative over the table's range
 * for the LAMDA CO file, checked by tests/test_rt_solver.c) is far under the solver's 1e-8.
 * Temperatures outside the range are left to the direct sum by the caller.
 */
#ifndef SYNOBS_RT_PARTITION_H
#define SYNOBS_RT_PARTITION_H

typedef struct {
    int n;             /**< nodes */
    double u0, h;      /**< u_i = u0 + i h, u = ln(T / K) */
    double T_lo, T_hi; /**< the range covered: [e^u0, e^(u0 + (n-1) h)] */
    double *f;         /**< (n) ln Z(u_i) */
    double *d;         /**< (n) h * d ln Z / du at u_i (the Hermite slopes, pre-scaled) */
} rt_lnz_table;

/** Table of ln Z for the levels (energy [J], statistical weight) over [T_lo, T_hi] K with n >= 2
 * nodes, Z summed over every level. */
void rt_lnz_table_init(rt_lnz_table *t, int nlev, const double *energy, const double *weight, double T_lo, double T_hi,
                       int n);
void rt_lnz_table_free(rt_lnz_table *t);

/** ln Z(T) from the table; T must lie in [T_lo, T_hi]. */
static inline double rt_lnz_table_eval(const rt_lnz_table *t, double lnT)
{
    double s = (lnT - t->u0) / t->h;
    int i = (int)s;
    if (i > t->n - 2) i = t->n - 2;
    if (i < 0) i = 0;
    double x = s - i, y = 1.0 - x;
    /* cubic Hermite basis on [0, 1] */
    double h00 = (1.0 + 2.0 * x) * y * y, h10 = x * y * y, h01 = x * x * (3.0 - 2.0 * x), h11 = -x * x * y;
    return h00 * t->f[i] + h10 * t->d[i] + h01 * t->f[i + 1] + h11 * t->d[i + 1];
}

#endif
