/**
 * @file dims.h
 * @brief Tensor shapes of the engine: float32, NCDHW, row-major. 2D tensors are D = 1, vectors
 * (B, C) are D = H = W = 1, so every layer sees one shape type.
 */
#ifndef SYNOBS_NN_DIMS_H
#define SYNOBS_NN_DIMS_H

#include <stddef.h>

typedef struct {
    int n, c, d, h, w;
} nn_dims;

static inline size_t nn_spatial(nn_dims s) { return (size_t)s.d * s.h * s.w; }
/** Elements of one sample (C·D·H·W). */
static inline size_t nn_sample(nn_dims s) { return (size_t)s.c * nn_spatial(s); }
static inline size_t nn_numel(nn_dims s) { return (size_t)s.n * nn_sample(s); }

#endif
