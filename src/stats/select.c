#include "stats/select.h"

#include <stdlib.h>

#include "core/check.h"

void select_hist_top(uint32_t *restrict hist, const float *restrict x, size_t n)
{
    /* Two interleaved sub-histograms would break the store-to-load chain on runs of equal bins;
     * measured on smooth fields it did not pay on this machine, so one table it is. */
    for (size_t i = 0; i < n; i++) hist[select_key(x[i]) >> 16]++;
}

void select_hist_low(uint32_t *restrict hist, const float *restrict x, size_t n, uint32_t top)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t k = select_key(x[i]);
        if ((k >> 16) == top) hist[k & 0xffffu]++;
    }
}

void select_hist_low2(uint32_t *restrict hist_a, uint32_t top_a, uint32_t *restrict hist_b, uint32_t top_b,
                      const float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t k = select_key(x[i]), t = k >> 16;
        if (t == top_a) hist_a[k & 0xffffu]++;
        if (t == top_b) hist_b[k & 0xffffu]++;
    }
}

int64_t select_find_bin(const uint64_t *hist, size_t nbins, uint64_t k, uint64_t *k_in_bin)
{
    uint64_t below = 0;
    for (size_t b = 0; b < nbins; b++) {
        if (k < below + hist[b]) { *k_in_bin = k - below; return (int64_t)b; }
        below += hist[b];
    }
    return -1;
}

int64_t select_find_bin32(const uint32_t *hist, size_t nbins, uint64_t k, uint64_t *k_in_bin)
{
    uint64_t below = 0;
    for (size_t b = 0; b < nbins; b++) {
        if (k < below + hist[b]) { *k_in_bin = k - below; return (int64_t)b; }
        below += hist[b];
    }
    return -1;
}

float select_finish32(uint32_t top, const uint32_t *low, uint64_t k_in_bin)
{
    uint64_t rest;
    int64_t b = select_find_bin32(low, SELECT_BINS, k_in_bin, &rest);
    return select_value((top << 16) | (uint32_t)b);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

float select_kth_sorted(const float *x, size_t n, size_t k)
{
    float *c = xmalloc(n * sizeof *c);
    memcpy(c, x, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_float);
    float v = c[k];
    free(c);
    return v;
}
