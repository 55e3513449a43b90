#include "stats/moments.h"

#include <float.h>
#include <math.h>

/* Error-free transformations (Knuth two-sum, fma two-product) and double-double arithmetic
 * (Dekker 1971; Hida, Li & Bailey's QD "sloppy" variants are not used: these are the accurate ones). */
static inline ddouble two_sum(double a, double b)
{
    double s = a + b, bb = s - a;
    return (ddouble){s, (a - (s - bb)) + (b - bb)};
}

static inline ddouble quick_two_sum(double a, double b)
{
    double s = a + b;
    return (ddouble){s, b - (s - a)};
}

ddouble dd_from(double a) { return (ddouble){a, 0.0}; }

ddouble dd_add(ddouble a, ddouble b)
{
    ddouble s = two_sum(a.hi, b.hi), t = two_sum(a.lo, b.lo);
    s.lo += t.hi;
    s = quick_two_sum(s.hi, s.lo);
    s.lo += t.lo;
    return quick_two_sum(s.hi, s.lo);
}

ddouble dd_sub(ddouble a, ddouble b) { return dd_add(a, (ddouble){-b.hi, -b.lo}); }

ddouble dd_mul(ddouble a, ddouble b)
{
    double p = a.hi * b.hi, e = fma(a.hi, b.hi, -p);
    e += a.hi * b.lo + a.lo * b.hi;
    return quick_two_sum(p, e);
}

ddouble dd_div(ddouble a, ddouble b)
{
    double q1 = a.hi / b.hi;
    ddouble r = dd_sub(a, dd_mul(dd_from(q1), b));
    double q2 = r.hi / b.hi;
    r = dd_sub(r, dd_mul(dd_from(q2), b));
    double q3 = r.hi / b.hi;
    return dd_add(quick_two_sum(q1, q2), dd_from(q3));
}

void moments_zero(moments *m) { *m = (moments){0.0, {0.0, 0.0}, {0.0, 0.0}}; }

void moments_merge(moments *a, const moments *b)
{
    if (b->n == 0) return;
    if (a->n == 0) { *a = *b; return; }
    double n = a->n + b->n;
    ddouble delta = dd_sub(b->mean, a->mean);
    ddouble nb_over_n = dd_div(dd_from(b->n), dd_from(n));
    a->mean = dd_add(a->mean, dd_mul(delta, nb_over_n));
    /* M2 = M2a + M2b + delta^2 * na * nb / n */
    ddouble cross = dd_mul(dd_mul(dd_mul(delta, delta), dd_from(a->n)), nb_over_n);
    a->m2 = dd_add(dd_add(a->m2, b->m2), cross);
    a->n = n;
}

double moments_mean(const moments *m) { return m->mean.hi + m->mean.lo; }

double moments_variance(const moments *m)
{
    if (m->n < 1) return 0.0;
    ddouble v = dd_div(m->m2, dd_from(m->n));
    return v.hi + v.lo;
}

void moments_acc_start(moments_acc *a, double shift) { *a = (moments_acc){shift, 0.0, {0, 0}, {0, 0}}; }

#define LANES 16

void moments_acc_add_f32(moments_acc *a, const float *restrict x, size_t n, float *min, float *max,
                         size_t *nonfinite)
{
    /* Independent lanes let the compiler vectorise without reordering any sum (no -ffast-math),
     * so the result is the same on every instruction set. */
    double s1[LANES] = {0}, s2[LANES] = {0};
    float mn[LANES], mx[LANES];
    int bad[LANES] = {0};
    for (int l = 0; l < LANES; l++) { mn[l] = FLT_MAX; mx[l] = -FLT_MAX; }
    const double k = a->shift;
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) {
            float v = x[i + l];
            double d = (double)v - k;
            s1[l] += d;
            s2[l] += d * d;
            mn[l] = v < mn[l] ? v : mn[l];
            mx[l] = v > mx[l] ? v : mx[l];
            bad[l] += !(fabsf(v) <= FLT_MAX);
        }
    for (int l = 0; i < n; i++, l++) {
        float v = x[i];
        double d = (double)v - k;
        s1[l] += d;
        s2[l] += d * d;
        mn[l] = v < mn[l] ? v : mn[l];
        mx[l] = v > mx[l] ? v : mx[l];
        bad[l] += !(fabsf(v) <= FLT_MAX);
    }
    double t1 = 0, t2 = 0;
    float lo = FLT_MAX, hi = -FLT_MAX;
    size_t nb = 0;
    for (int l = 0; l < LANES; l++) {
        t1 += s1[l];
        t2 += s2[l];
        lo = mn[l] < lo ? mn[l] : lo;
        hi = mx[l] > hi ? mx[l] : hi;
        nb += (size_t)bad[l];
    }
    a->s1 = dd_add(a->s1, dd_from(t1));
    a->s2 = dd_add(a->s2, dd_from(t2));
    a->n += (double)n;
    *min = lo;
    *max = hi;
    *nonfinite = nb;
}

void moments_acc_add_f64(moments_acc *a, const double *restrict x, size_t n)
{
    double s1[LANES] = {0}, s2[LANES] = {0};
    const double k = a->shift;
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) {
            double d = x[i + l] - k;
            s1[l] += d;
            s2[l] += d * d;
        }
    for (int l = 0; i < n; i++, l++) {
        double d = x[i] - k;
        s1[l] += d;
        s2[l] += d * d;
    }
    double t1 = 0, t2 = 0;
    for (int l = 0; l < LANES; l++) { t1 += s1[l]; t2 += s2[l]; }
    a->s1 = dd_add(a->s1, dd_from(t1));
    a->s2 = dd_add(a->s2, dd_from(t2));
    a->n += (double)n;
}

void moments_acc_finish(const moments_acc *a, moments *out)
{
    out->n = a->n;
    if (a->n == 0) { moments_zero(out); return; }
    ddouble n = dd_from(a->n);
    ddouble d_mean = dd_div(a->s1, n);
    out->mean = dd_add(dd_from(a->shift), d_mean);
    /* M2 = S2 - S1^2 / n; with the shift near the mean S1 is small and nothing cancels. */
    out->m2 = dd_sub(a->s2, dd_mul(a->s1, d_mean));
    if (out->m2.hi < 0) out->m2 = dd_from(0.0);
}
