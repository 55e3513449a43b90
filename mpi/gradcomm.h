/**
 * @file gradcomm.h
 * @brief The gradient communicator of data-parallel training: sums of float buffers over all ranks,
 * started bucket by bucket while the backward pass is still running, then waited for together.
 *
 * This is the one seam between training and the transport: this file is MPI (non-blocking
 * MPI_Iallreduce, progressed by gradcomm_progress() calls from the backward pass); a NCCL
 * implementation of the same four calls serves GPU ranks. Sums are in place.
 */
#ifndef SYNOBS_GRADCOMM_H
#define SYNOBS_GRADCOMM_H

#include <stddef.h>

typedef struct gradcomm gradcomm;

gradcomm *gradcomm_new(void);
void gradcomm_free(gradcomm *c);
/** Start summing buf[0, n) over all ranks, in place (returns at once). */
void gradcomm_start(gradcomm *c, float *buf, size_t n);
/** Let started sums progress (MPI progresses non-blocking collectives only inside MPI calls). */
void gradcomm_progress(gradcomm *c);
/** Wait until every started sum is complete. */
void gradcomm_wait(gradcomm *c);
/** Blocking sum of doubles (losses, BN statistics), in place. */
void gradcomm_sum_f64(gradcomm *c, double *buf, size_t n);
/** Number of ranks taking part. */
int gradcomm_size(const gradcomm *c);

#endif
