#include "match/select.h"

#include <math.h>
#include <stdlib.h>

#include "core/check.h"
#include "core/log.h"
#include "mpi/moments_op.h"

/* Merge sort on indices: stable by construction, O(n log n), no comparator tricks. */
static int before(double a, double b)
{
    if (isnan(b)) return !isnan(a);
    return a < b;
}

static void merge_sort(const double *d, int64_t *idx, int64_t *tmp, size_t n)
{
    if (n < 2) return;
    size_t h = n / 2;
    merge_sort(d, idx, tmp, h);
    merge_sort(d, idx + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        /* take from the right only when strictly before: equal keys keep their order */
        if (before(d[idx[j]], d[idx[i]]))
            tmp[k++] = idx[j++];
        else
            tmp[k++] = idx[i++];
    }
    while (i < h) tmp[k++] = idx[i++];
    while (j < n) tmp[k++] = idx[j++];
    for (k = 0; k < n; k++) idx[k] = tmp[k];
}

void match_rank(const double *d, size_t n, int64_t *order)
{
    for (size_t i = 0; i < n; i++) order[i] = (int64_t)i;
    if (n < 2) return;
    int64_t *tmp = malloc(n * sizeof *tmp);
    ALLOC_CHECK(tmp, n * sizeof *tmp);
    merge_sort(d, order, tmp, n);
    free(tmp);
}

void match_moments_local(const double *d, size_t n, moments *m)
{
    moments_zero(m);
    if (n == 0) return;
    moments_acc a;
    moments_acc_start(&a, d[0]);
    for (size_t i = 0; i < n; i += MOMENTS_BLOCK) {
        size_t b = n - i < MOMENTS_BLOCK ? n - i : MOMENTS_BLOCK;
        moments_acc_add_f64(&a, d + i, b);
    }
    moments_acc_finish(&a, m);
}

void match_moments_allreduce(moments *m)
{
    moments_allreduce(m, 1);
}

void match_stats_from_moments(const moments *m, int ddof, match_stats *s)
{
    s->n = m->n;
    s->ddof = ddof;
    s->mean = m->n > 0 ? moments_mean(m) : 0.0;
    double dof = m->n - ddof;
    s->std = 0.0;
    if (dof > 0) {
        double v = (m->m2.hi + m->m2.lo) / dof;
        s->std = v > 0 ? sqrt(v) : 0.0;
    }
}

void match_zscores(const double *d, size_t n, const match_stats *s, double *z)
{
    for (size_t i = 0; i < n; i++) z[i] = s->std > 0 ? (d[i] - s->mean) / s->std : 0.0;
}

size_t match_select(const double *z, size_t n, const match_stats *s, double select_sigma, int warn,
                    uint8_t *mask)
{
    size_t k = 0;
    if (!(s->std > 0)) {
        for (size_t i = 0; i < n; i++) mask[i] = 0;
        if (warn)
            warning0("the %.0f distances have standard deviation 0 (all equal, or too few): the -%g sigma "
                     "selection is empty",
                     s->n, select_sigma);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        mask[i] = z[i] < -select_sigma;
        k += mask[i];
    }
    return k;
}

double match_threshold(const match_stats *s, double select_sigma)
{
    return s->mean - select_sigma * s->std;
}

size_t match_selected_in_rank_order(const int64_t *order, const uint8_t *mask, size_t n, int64_t *out)
{
    size_t k = 0;
    for (size_t r = 0; r < n; r++)
        if (mask[order[r]]) out[k++] = order[r];
    return k;
}

size_t match_top_k(const int64_t *order, size_t n, size_t k, int64_t *out)
{
    size_t m = k < n ? k : n;
    for (size_t r = 0; r < m; r++) out[r] = order[r];
    return m;
}

void match_zhist_layout(double zmin, double zmax, double width, int64_t *k0, size_t *nbins)
{
    double lo = floor(zmin / width), hi = floor(zmax / width);
    *k0 = (int64_t)lo;
    *nbins = (size_t)(hi - lo) + 1;
}

void match_zhist_add(const double *z, size_t n, double width, int64_t k0, size_t nbins, int64_t *counts)
{
    for (size_t i = 0; i < n; i++) {
        double j = floor(z[i] / width) - (double)k0;
        if (j >= 0 && j < (double)nbins) counts[(size_t)j]++;
    }
}
