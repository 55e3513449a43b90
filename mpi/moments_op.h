/**
 * @file moments_op.h
 * @brief Chan's pairwise merge of (count, mean, M2) as a user-defined MPI reduction.
 */
#ifndef SYNOBS_MOMENTS_OP_H
#define SYNOBS_MOMENTS_OP_H

#include <stddef.h>

#include "stats/moments.h"

/** Merge an array of n moments element-wise over all ranks; every rank gets the result. */
void moments_allreduce(moments *m, size_t n);

#endif
