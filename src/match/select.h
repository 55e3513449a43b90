/**
 * @file select.h
 * @brief Ranking and the -2 sigma down-selection of spec/analogues.md §6.
 *
 * The catalogue is cut across ranks in contiguous blocks. The mean and standard deviation are
 * reduced with Chan's pairwise merge of (count, mean, M2) (stats/moments.h, mpi/moments_op.h):
 * each rank sums its block as deviations from a shift in double (16 lanes per 1,024 values), the
 * merges run in double-double, so the cut changes mean and sigma only through the order of those
 * double sums (~1e-16 relative), never through cancellation. Ranking and the list of selected
 * members are made where the distances are gathered (rank 0, or each rank for its own block).
 */
#ifndef SYNOBS_MATCH_SELECT_H
#define SYNOBS_MATCH_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "stats/moments.h"

/**
 * @brief Stable ascending ranking: order[r] is the index of the r-th smallest d; ties keep
 * catalogue order. NaN ranks after every number (it should not occur).
 * @param d (n), order (n)
 */
void match_rank(const double *d, size_t n, int64_t *order);

/** This rank's (count, mean, M2) of its n distances (any n, including 0). */
void match_moments_local(const double *d, size_t n, moments *m);
/** Merge every rank's moments (in rank order): each rank gets the catalogue's. */
void match_moments_allreduce(moments *m);

/** Catalogue statistics of one distance column. */
typedef struct {
    double n;     /**< number of distances */
    double mean;  /**< mu */
    double std;   /**< sigma = sqrt(M2/(n - ddof)); 0 when n - ddof <= 0 */
    int ddof;     /**< [choice] 0 (population, default) or 1 */
} match_stats;

void match_stats_from_moments(const moments *m, int ddof, match_stats *s);

/**
 * @brief z_i = (d_i - mu)/sigma. When sigma = 0 (all distances equal, or too few) every z is 0
 * (and match_select selects nothing).
 * @param d (n), z (n)
 */
void match_zscores(const double *d, size_t n, const match_stats *s, double *z);

/**
 * @brief The down-selection S = { i : z_i < -select_sigma } (select_sigma = 2 by default).
 * When sigma = 0 the selection is empty and, if `warn`, rank 0 says so once.
 * @param z (n), mask (n) 1 in S, else 0
 * @return |S| among these n
 */
size_t match_select(const double *z, size_t n, const match_stats *s, double select_sigma, int warn,
                    uint8_t *mask);

/** The threshold distance mu - select_sigma*sigma (the results file's `threshold` attribute). */
double match_threshold(const match_stats *s, double select_sigma);

/**
 * @brief The members of S in rank order: out[k] = order[r] for the r with mask[order[r]] set.
 * @param order (n), mask (n), out (room for n)
 * @return K, the number written
 */
size_t match_selected_in_rank_order(const int64_t *order, const uint8_t *mask, size_t n, int64_t *out);

/**
 * @brief The k best (k = 8 for inspection, 50 for moment maps): the first min(k, n) of order.
 * @return the number written to out
 */
size_t match_top_k(const int64_t *order, size_t n, size_t k, int64_t *out);

/**
 * @brief Layout of the z histogram in bins of `width` sigma (0.1 by default): bin j covers
 * [(k0 + j)*width, (k0 + j + 1)*width), k0 = floor(zmin/width), and the last bin holds zmax.
 * zmin and zmax are the catalogue's (reduce them with MPI_MIN/MAX first). For n = 0 give
 * zmin = zmax = 0.
 * @param k0 first bin's index, nbins count of bins
 */
void match_zhist_layout(double zmin, double zmax, double width, int64_t *k0, size_t *nbins);
/**
 * @brief Add this rank's z values to counts (nbins; sum over ranks with MPI_SUM afterwards).
 * A value outside the layout (it cannot happen with the catalogue's zmin/zmax) is not counted.
 */
void match_zhist_add(const double *z, size_t n, double width, int64_t k0, size_t nbins, int64_t *counts);

#endif
