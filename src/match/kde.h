/**
 * @file kde.h
 * @brief The system-parameter estimator of spec/analogues.md §7: pooled metadata samples, their
 * histogram, and a Gaussian KDE with Scott's bandwidth, summarised by mode, median and 16/84
 * percentiles.
 *
 * The KDE is scipy.stats.gaussian_kde's (scipy 1.10, the oracle /kde_example):
 *   p(x) = (1/n) sum_i phi((x - x_i)/h)/h,  h = factor*s,  factor = n^(-1/5),
 * s the sample standard deviation with ddof 1.
 *
 * Summaries are read off p on the grid. The mode is the grid point of largest p (the first one on
 * a tie). The median and percentiles come from the cumulative trapezoid integral
 *   C_0 = 0,  C_k = C_{k-1} + (p_{k-1} + p_k)(x_k - x_{k-1})/2,
 * normalised by C_{m-1} (the mass on the grid; the default grid reaches 3h beyond the sample, so
 * the mass left out is below 0.14 %). The q-quantile is the first k with C_k >= q*C_{m-1},
 * interpolated linearly between (x_{k-1}, C_{k-1}) and (x_k, C_k): numpy.interp(q*C[-1], C, x).
 */
#ifndef SYNOBS_MATCH_KDE_H
#define SYNOBS_MATCH_KDE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t points;     /**< grid points (kde_points, default 512; >= 2) */
    double cut;        /**< the grid spans [min - cut*h, max + cut*h] (default 3) */
    int include_zeros; /**< [choice] 0 (default): the KDE is built from the non-zero values only */
} match_kde_cfg;

void match_kde_cfg_default(match_kde_cfg *cfg);

/** One parameter's estimate. Without a KDE (has_kde = 0) x and y are NULL and the summaries NaN. */
typedef struct {
    size_t n;             /**< values in the sample */
    size_t n_zero;        /**< exact zeros among them (dsize = 0: no disk) */
    double zero_fraction; /**< n_zero/n, 0 for n = 0 */
    size_t n_kde;         /**< values the KDE was built from */
    int has_kde;          /**< 0 when n_kde < 2 or their standard deviation is 0: report the sample only */
    double factor, h;     /**< Scott's factor n_kde^(-1/5) and the kernel width */
    size_t points;        /**< grid length */
    double *x, *y;        /**< (points) grid and p on it */
    double mode, median, p16, p84;
} match_kde;

/**
 * @brief Scott's bandwidth of x (n values): *factor = n^(-1/5), *h = factor*std(x, ddof 1).
 * @return 0, or -1 (outputs untouched) when n < 2 or the standard deviation is 0
 */
int match_kde_bandwidth(const double *x, size_t n, double *factor, double *h);

/**
 * @brief p on a grid.
 * @param x (n) sample, grid (m), pdf (m)
 */
void match_kde_eval(const double *x, size_t n, double h, const double *grid, size_t m, double *pdf);

/** numpy.linspace(a, b, m): a + k*(b - a)/(m - 1), the last point exactly b. */
void match_linspace(double a, double b, size_t m, double *out);

/** The q-quantile (0 <= q <= 1) of p on the grid by the trapezoid rule above. */
double match_grid_quantile(const double *grid, const double *pdf, size_t m, double q);
/** Mode (argmax), median, p16 and p84 of p on the grid (m >= 2). */
void match_kde_summary(const double *grid, const double *pdf, size_t m, double *mode, double *median, double *p16,
                       double *p84);

/**
 * @brief Zero handling, bandwidth, grid, p and its summaries for one (pooled) sample of finite
 * values. out->x and out->y are allocated when has_kde (free with match_kde_free).
 */
void match_kde_build(const double *sample, size_t n, const match_kde_cfg *cfg, match_kde *out);
void match_kde_free(match_kde *k);

/**
 * @brief Pool k selections' samples: their concatenation in the order given.
 * @param samples (k) arrays, ns (k) their lengths
 * @return the pooled array (malloc'd; the caller frees; NULL when empty), *total its length
 */
double *match_pool(const double *const *samples, const size_t *ns, size_t k, size_t *total);

/**
 * @brief numpy.histogram(x, bins=nbins) (30 by default): equal bins over [min, max] (widened by
 * 0.5 each side when min = max, [0, 1] when n = 0), the last bin closed on the right.
 * @param edges (nbins + 1), counts (nbins)
 */
void match_histogram(const double *x, size_t n, size_t nbins, double *edges, int64_t *counts);

#endif
