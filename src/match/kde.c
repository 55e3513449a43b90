#include "match/kde.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"

static const double PI = 3.14159265358979323846;

void match_kde_cfg_default(match_kde_cfg *cfg)
{
    cfg->points = 512;
    cfg->cut = 3.0;
    cfg->include_zeros = 0;
}

int match_kde_bandwidth(const double *x, size_t n, double *factor, double *h)
{
    if (n < 2) return -1;
    /* two passes in double: the mean, then the squared deviations */
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += x[i];
    double mean = s / (double)n, ss = 0.0;
    for (size_t i = 0; i < n; i++) ss += (x[i] - mean) * (x[i] - mean);
    if (!(ss > 0.0)) return -1;
    double f = pow((double)n, -1.0 / 5.0);
    *factor = f;
    *h = f * sqrt(ss / (double)(n - 1));
    return 0;
}

void match_kde_eval(const double *x, size_t n, double h, const double *grid, size_t m, double *pdf)
{
    const double norm = 1.0 / (sqrt(2.0 * PI) * h * (double)n);
    for (size_t j = 0; j < m; j++) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++) {
            double u = (grid[j] - x[i]) / h;
            s += exp(-0.5 * u * u);
        }
        pdf[j] = s * norm;
    }
}

void match_linspace(double a, double b, size_t m, double *out)
{
    if (m == 0) return;
    if (m == 1) {
        out[0] = a;
        return;
    }
    double step = (b - a) / (double)(m - 1);
    for (size_t k = 0; k < m; k++) out[k] = a + (double)k * step;
    out[m - 1] = b;
}

double match_grid_quantile(const double *grid, const double *pdf, size_t m, double q)
{
    // (m) cumulative trapezoid integral
    double *c = malloc(m * sizeof *c);
    ALLOC_CHECK(c, m * sizeof *c);
    c[0] = 0.0;
    for (size_t k = 1; k < m; k++) c[k] = c[k - 1] + 0.5 * (pdf[k - 1] + pdf[k]) * (grid[k] - grid[k - 1]);
    double target = q * c[m - 1], r = grid[m - 1];
    if (target <= c[0]) {
        r = grid[0];
    } else {
        for (size_t k = 1; k < m; k++)
            if (c[k] >= target) {
                r = grid[k - 1] + (target - c[k - 1]) / (c[k] - c[k - 1]) * (grid[k] - grid[k - 1]);
                break;
            }
    }
    free(c);
    return r;
}

void match_kde_summary(const double *grid, const double *pdf, size_t m, double *mode, double *median, double *p16,
                       double *p84)
{
    size_t best = 0;
    for (size_t k = 1; k < m; k++)
        if (pdf[k] > pdf[best]) best = k;
    *mode = grid[best];
    *median = match_grid_quantile(grid, pdf, m, 0.5);
    *p16 = match_grid_quantile(grid, pdf, m, 0.16);
    *p84 = match_grid_quantile(grid, pdf, m, 0.84);
}

void match_kde_build(const double *sample, size_t n, const match_kde_cfg *cfg, match_kde *out)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    out->mode = out->median = out->p16 = out->p84 = NAN;
    out->factor = out->h = NAN;
    for (size_t i = 0; i < n; i++) out->n_zero += sample[i] == 0.0;
    out->zero_fraction = n ? (double)out->n_zero / (double)n : 0.0;

    // (n_kde) the values the KDE is built from
    double *v = malloc((n ? n : 1) * sizeof *v);
    ALLOC_CHECK(v, n * sizeof *v);
    size_t nk = 0;
    for (size_t i = 0; i < n; i++)
        if (cfg->include_zeros || sample[i] != 0.0) v[nk++] = sample[i];
    out->n_kde = nk;

    double factor, h;
    if (cfg->points >= 2 && match_kde_bandwidth(v, nk, &factor, &h) == 0) {
        double lo = v[0], hi = v[0];
        for (size_t i = 1; i < nk; i++) {
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
        size_t m = cfg->points;
        out->has_kde = 1;
        out->factor = factor;
        out->h = h;
        out->points = m;
        out->x = malloc(m * sizeof *out->x);
        out->y = malloc(m * sizeof *out->y);
        ALLOC_CHECK(out->x, m * sizeof *out->x);
        ALLOC_CHECK(out->y, m * sizeof *out->y);
        match_linspace(lo - cfg->cut * h, hi + cfg->cut * h, m, out->x);
        match_kde_eval(v, nk, h, out->x, m, out->y);
        match_kde_summary(out->x, out->y, m, &out->mode, &out->median, &out->p16, &out->p84);
    }
    free(v);
}

void match_kde_free(match_kde *k)
{
    free(k->x);
    free(k->y);
    k->x = k->y = NULL;
}

double *match_pool(const double *const *samples, const size_t *ns, size_t k, size_t *total)
{
    size_t t = 0;
    for (size_t s = 0; s < k; s++) t += ns[s];
    *total = t;
    if (t == 0) return NULL;
    double *p = malloc(t * sizeof *p);
    ALLOC_CHECK(p, t * sizeof *p);
    size_t o = 0;
    for (size_t s = 0; s < k; s++) {
        if (ns[s]) memcpy(p + o, samples[s], ns[s] * sizeof *p);
        o += ns[s];
    }
    return p;
}

void match_histogram(const double *x, size_t n, size_t nbins, double *edges, int64_t *counts)
{
    double first = 0.0, last = 1.0;
    if (n) {
        first = last = x[0];
        for (size_t i = 1; i < n; i++) {
            first = x[i] < first ? x[i] : first;
            last = x[i] > last ? x[i] : last;
        }
    }
    if (first == last) {
        first -= 0.5;
        last += 0.5;
    }
    match_linspace(first, last, nbins + 1, edges);
    for (size_t b = 0; b < nbins; b++) counts[b] = 0;
    /* numpy's uniform-bin path: a scaled index, then corrected against the edges themselves */
    double norm = (double)nbins / (last - first);
    for (size_t i = 0; i < n; i++) {
        long j = (long)((x[i] - first) * norm);
        if (j >= (long)nbins) j = (long)nbins - 1;
        if (j < 0) j = 0;
        if (x[i] < edges[j] && j > 0) j--;
        else if (x[i] >= edges[j + 1] && j != (long)nbins - 1) j++;
        counts[j]++;
    }
}
