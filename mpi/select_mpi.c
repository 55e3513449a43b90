#include "mpi/select_mpi.h"

#include <math.h>
#include <stdlib.h>

#include "core/check.h"
#include "mpi/collective.h"
#include "stats/select.h"

float dselect_finish(uint32_t top, const uint64_t *low, uint64_t k_in_bin)
{
    uint64_t rest;
    int64_t b = select_find_bin(low, SELECT_BINS, k_in_bin, &rest);
    return select_value((top << 16) | (uint32_t)b);
}

int dselect_kth(const float *local, size_t n_local, uint64_t k, float *value)
{
    uint32_t *h32 = xcalloc(SELECT_BINS, sizeof *h32);
    uint64_t *h64 = xcalloc(SELECT_BINS, sizeof *h64);
    select_hist_top(h32, local, n_local);
    for (size_t b = 0; b < SELECT_BINS; b++) h64[b] = h32[b];
    mpi_allreduce_sum_u64(h64, SELECT_BINS);
    uint64_t k_in;
    int64_t top = select_find_bin(h64, SELECT_BINS, k, &k_in);
    int rc = -1;
    if (top >= 0) {
        for (size_t b = 0; b < SELECT_BINS; b++) h32[b] = 0;
        select_hist_low(h32, local, n_local, (uint32_t)top);
        for (size_t b = 0; b < SELECT_BINS; b++) h64[b] = h32[b];
        mpi_allreduce_sum_u64(h64, SELECT_BINS);
        *value = dselect_finish((uint32_t)top, h64, k_in);
        rc = 0;
    }
    free(h32);
    free(h64);
    return rc;
}

float dselect_lower_median_local(const float *values, size_t n)
{
    /* values are already gathered onto every rank: select locally, skipping NaN markers */
    float *v = xmalloc((n ? n : 1) * sizeof *v);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(values[i])) v[m++] = values[i];
    float r = m ? select_kth_sorted(v, m, (size_t)select_lower_median_rank(m)) : NAN;
    free(v);
    return r;
}
