/**
 * @file select_mpi.h
 * @brief The exact k-th smallest value of float data spread over ranks, by two rounds of
 * 16-bit key histograms summed with MPI_Allreduce (see stats/select.h). The streaming stats
 * stage runs the same two rounds over files; this in-memory form is what it is tested against.
 */
#ifndef SYNOBS_SELECT_MPI_H
#define SYNOBS_SELECT_MPI_H

#include <stddef.h>
#include <stdint.h>

/**
 * @brief The k-th smallest (0-based) of the union of every rank's `local` values.
 * @return 0, or -1 when k is not below the global count.
 */
int dselect_kth(const float *local, size_t n_local, uint64_t k, float *value);

/**
 * @brief Second round of the selection from a global top histogram: given the global low-bits
 * histogram `low` of the bin `top`, the value of rank k_in_bin inside it.
 */
float dselect_finish(uint32_t top, const uint64_t *low, uint64_t k_in_bin);

/** Lower median of float values held by each rank (used for the median of chunk medians). */
float dselect_lower_median_local(const float *values, size_t n);

#endif
