/**
 * @file collective.h
 * @brief How ranks agree: on failure (so no rank hangs in a collective), and typed collectives
 * whose counts are element counts, never bytes.
 */
#ifndef SYNOBS_COLLECTIVE_H
#define SYNOBS_COLLECTIVE_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @brief Agree on failure. If any rank has `failed`, the lowest such rank prints its
 * error_message() as one line, temporary files are removed, and every rank leaves
 * with exit status 1 once all have (exit_failed in core/check.h). Otherwise returns.
 */
void collective_fail_if(bool failed);
/** True on every rank when it is true on any. */
bool collective_any(bool flag);

void mpi_allreduce_sum_u64(uint64_t *buf, size_t n);
void mpi_allreduce_sum_f64(double *buf, size_t n);
void mpi_allreduce_min_f32(float *buf, size_t n);
void mpi_allreduce_max_f32(float *buf, size_t n);
/** Broadcast a string from rank 0 (allocated on the other ranks; caller frees there). */
char *mpi_bcast_string(const char *s_on_root);
/**
 * @brief Gather variable-length float arrays from all ranks, in rank order, onto every rank.
 * @return the concatenation (caller frees); *total receives its length.
 */
float *mpi_allgatherv_f32(const float *local, size_t n_local, size_t *total);

#endif
