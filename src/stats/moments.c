#include "stats/moments.h"

#include <float.h>
#include <math.h>

#include "stats/log_avx512.h"
#include "stats/vlog.h"

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

#ifdef SYNOBS_HAVE_LOG16
/* Add 16 lanes of block sums to an accumulator, in lane order (as the plain loops above do). */
static void acc_add_lanes(moments_acc *a, const double *s1, const double *s2, size_t n)
{
    double t1 = 0, t2 = 0;
    for (int l = 0; l < LANES; l++) { t1 += s1[l]; t2 += s2[l]; }
    a->s1 = dd_add(a->s1, dd_from(t1));
    a->s2 = dd_add(a->s2, dd_from(t2));
    a->n += (double)n;
}
#endif

void moments_acc_add_f32_log(moments_acc *lin, moments_acc *lg, const float *restrict x, size_t n, float *min,
                             float *max, size_t *nonfinite)
{
#ifdef SYNOBS_HAVE_LOG16
    double s1[LANES], s2[LANES], l1[LANES], l2[LANES];
    const __m512d k = _mm512_set1_pd(lin->shift), kl = _mm512_set1_pd(lg ? lg->shift : 0.0);
    __m512d a1 = _mm512_setzero_pd(), b1 = a1, a2 = a1, b2 = a1, c1 = a1, d1 = a1, c2 = a1, d2 = a1;
    __m512 mn = _mm512_set1_ps(FLT_MAX), mx = _mm512_set1_ps(-FLT_MAX);
    __mmask16 bad = 0, tiny = 0;
    size_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        const __m512 v = _mm512_loadu_ps(x + i);
        bad |= _mm512_fpclass_ps_mask(v, 0x01 | 0x08 | 0x10 | 0x80); /* QNaN, +Inf, -Inf, SNaN */
        mn = _mm512_min_ps(mn, v);
        mx = _mm512_max_ps(mx, v);
        /* d² then a separate add, as the plain loop (no FMA): both paths give the same bits */
        const __m512d da = _mm512_sub_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v)), k);
        const __m512d db = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_castsi256_ps(_mm512_extracti64x4_epi64(_mm512_castps_si512(v), 1))), k);
        a1 = _mm512_add_pd(a1, da);
        b1 = _mm512_add_pd(b1, db);
        a2 = _mm512_add_pd(a2, _mm512_mul_pd(da, da));
        b2 = _mm512_add_pd(b2, _mm512_mul_pd(db, db));
        if (lg) {
            tiny |= _mm512_cmp_ps_mask(v, _mm512_set1_ps(FLT_MIN), _CMP_LT_OQ);
            __m512d ya, yb;
            log16_f32(_mm512_castps_si512(v), &ya, &yb);
            const __m512d ea = _mm512_sub_pd(ya, kl), eb = _mm512_sub_pd(yb, kl);
            c1 = _mm512_add_pd(c1, ea);
            d1 = _mm512_add_pd(d1, eb);
            c2 = _mm512_add_pd(c2, _mm512_mul_pd(ea, ea));
            d2 = _mm512_add_pd(d2, _mm512_mul_pd(eb, eb));
        }
    }
    _mm512_storeu_pd(s1, a1);
    _mm512_storeu_pd(s1 + 8, b1);
    _mm512_storeu_pd(s2, a2);
    _mm512_storeu_pd(s2 + 8, b2);
    _mm512_storeu_pd(l1, c1);
    _mm512_storeu_pd(l1 + 8, d1);
    _mm512_storeu_pd(l2, c2);
    _mm512_storeu_pd(l2 + 8, d2);
    float lo = _mm512_reduce_min_ps(mn), hi = _mm512_reduce_max_ps(mx);
    size_t nb = (size_t)__builtin_popcount(bad);
    double tail[LANES];
    if (lg) vlog_f32_to_f64(x + i, tail, n - i);
    for (int l = 0; i < n; i++, l++) {
        const float v = x[i];
        const double d = (double)v - lin->shift;
        s1[l] += d;
        s2[l] += d * d;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        nb += !(fabsf(v) <= FLT_MAX);
        if (lg) {
            tiny |= v < FLT_MIN;
            const double e = tail[l] - lg->shift;
            l1[l] += e;
            l2[l] += e * e;
        }
    }
    acc_add_lanes(lin, s1, s2, n);
    *min = lo;
    *max = hi;
    *nonfinite = nb;
    if (!lg) return;
    if (tiny) {
        /* subnormals, zeros or negatives: the log path that takes any value (the caller rejects
         * zeros and negatives; subnormals are valid) */
        double y[MOMENTS_BLOCK];
        vlog_f32_to_f64(x, y, n);
        moments_acc_add_f64(lg, y, n);
        return;
    }
    acc_add_lanes(lg, l1, l2, n);
#else
    moments_acc_add_f32(lin, x, n, min, max, nonfinite);
    if (lg) {
        double y[MOMENTS_BLOCK];
        vlog_f32_to_f64(x, y, n);
        moments_acc_add_f64(lg, y, n);
    }
#endif
}
