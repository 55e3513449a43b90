/**
 * @file distance.h
 * @brief The five distances of spec/analogues.md §5 between an observation's feature vector and
 * each catalogue row, and the combined distance of eq. 12.
 *
 * Inputs are float32 features (or float64, for tests and embeddings); every sum is accumulated in
 * double, term by term in index order, as scipy.spatial.distance does (the oracle,
 * reference/analogues/analogues_reference.h5 /distances and /ranking_example, to 1e-12 relative).
 */
#ifndef SYNOBS_MATCH_DISTANCE_H
#define SYNOBS_MATCH_DISTANCE_H

#include <stddef.h>

typedef enum {
    MATCH_COSINE = 0,  /**< 1 - u.v/(|u||v|); [choice] 0 if both are zero vectors, 1 if exactly one is */
    MATCH_EUCLIDEAN,   /**< (sum (u_i - v_i)^2)^(1/2), the standard form (not the paper's eq. 2) */
    MATCH_BRAYCURTIS,  /**< sum |u_i - v_i| / sum |u_i + v_i|; 0 when the denominator is 0 */
    MATCH_CANBERRA,    /**< sum |u_i - v_i| / (|u_i| + |v_i|); a 0/0 term counts 0, as scipy */
    MATCH_CITYBLOCK,   /**< sum |u_i - v_i| (L1) */
    MATCH_N_METRICS
} match_metric;

/** Names as in the [match] `distances` parameter: cosine, euclidean, braycurtis, canberra, cityblock. */
const char *match_metric_name(match_metric m);
/** @return the metric called `name`, or -1 (eq12 is not a metric of its own: see match_eq12). */
int match_metric_from_name(const char *name);

/** One distance between two double vectors of length c. */
double match_distance_pair(match_metric m, const double *u, const double *v, size_t c);

/**
 * @brief Distance from u to each row of F.
 * @param u   (C) observation
 * @param F   (N, C) catalogue rows, C-order
 * @param out (N) distances
 */
void match_distances_f32(match_metric m, const float *u, const float *F, size_t n, size_t c, double *out);
/** As match_distances_f32, for float64 inputs. */
void match_distances_f64(match_metric m, const double *u, const double *F, size_t n, size_t c, double *out);

/** Eq. 12 conventions, [choice] `combined_norm`. */
typedef enum {
    MATCH_EQ12_RATIO_SQUARED = 0, /**< (d_cos/N_cos)^2 + (d_euc/N_euc)^2 (default) */
    MATCH_EQ12_AS_PRINTED         /**< d_cos^2/N_cos + d_euc^2/N_euc, as typeset */
} match_eq12_norm;

/** @return the convention called `ratio_squared` or `as_printed`, or -1. */
int match_eq12_norm_from_name(const char *name);

/**
 * @brief This rank's part of the eq. 12 normalisation: max[0] = max of d_cos, max[1] = max of
 * d_euc over the rank's n rows (0 when n = 0; distances are >= 0).
 * @param d_cos (n), d_euc (n)
 */
void match_eq12_max_local(const double *d_cos, const double *d_euc, size_t n, double max[2]);
/** Max over all ranks of match_eq12_max_local's two values (MPI_Allreduce, MPI_MAX). */
void match_eq12_max_allreduce(double max[2]);
/**
 * @brief Eq. 12 from the cosine and Euclidean columns and their catalogue maxima
 * (N_cos = max[0], N_euc = max[1]). A term whose maximum is 0 (all its distances are 0) counts 0.
 * @param out (n)
 */
void match_eq12(match_eq12_norm norm, const double *d_cos, const double *d_euc, size_t n, const double max[2],
                double *out);

#endif
