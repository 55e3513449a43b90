/**
 * @file select.h
 * @brief Order statistics of float32 data by radix histograms of order-preserving keys.
 *
 * A float maps to a 32-bit key whose unsigned order is the float order. The k-th smallest value
 * is found in two histogram levels of 16 bits each: the top 16 bits, then the low 16 bits of the
 * values inside the chosen top bin. Each level is one pass over the data and histograms add
 * across chunks and ranks, so the exact global median costs two passes, whatever the rank count.
 */
#ifndef SYNOBS_SELECT_H
#define SYNOBS_SELECT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SELECT_BINS 65536

static inline uint32_t select_key(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static inline float select_value(uint32_t key)
{
    uint32_t u = (key & 0x80000000u) ? (key & 0x7fffffffu) : ~key;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/** hist[key >> 16]++ for each value. */
void select_hist_top(uint32_t *hist, const float *x, size_t n);
/** hist[key & 0xffff]++ for each value whose key >> 16 == top. */
void select_hist_low(uint32_t *hist, const float *x, size_t n, uint32_t top);
/** Two low-bit histograms in one sweep: hist_a for values in bin top_a, hist_b for bin top_b. */
void select_hist_low2(uint32_t *hist_a, uint32_t top_a, uint32_t *hist_b, uint32_t top_b, const float *x, size_t n);
/**
 * @brief Find the bin holding the k-th smallest (0-based) counted element.
 * @param k_in_bin receives k minus the count of all smaller bins.
 * @return the bin, or -1 when k >= total count.
 */
int64_t select_find_bin(const uint64_t *hist, size_t nbins, uint64_t k, uint64_t *k_in_bin);
/** Same for 32-bit counters. */
int64_t select_find_bin32(const uint32_t *hist, size_t nbins, uint64_t k, uint64_t *k_in_bin);

/** The value of rank k_in_bin among the values of top bin `top`, from their low-bits histogram. */
float select_finish32(uint32_t top, const uint32_t *low, uint64_t k_in_bin);

/** Index of the lower median of n elements: (n - 1) / 2. */
static inline uint64_t select_lower_median_rank(uint64_t n) { return n ? (n - 1) / 2 : 0; }

/** Plain reference: the k-th smallest of x (0-based) by sorting a copy. For tests. */
float select_kth_sorted(const float *x, size_t n, size_t k);

#endif
