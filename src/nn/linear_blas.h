/**
 * @file linear_blas.h
 * @brief The fully connected layer on OpenBLAS's sgemm, for the oneDNN backend.
 *
 * COEmuNet's latent layers (4096 -> 7168 at G = 32, 117 MB of weights) are single large GEMMs at
 * small batch. On this project's machines OpenBLAS runs them about 2x faster than oneDNN 2.6's
 * inner product (13 against 28 ms, batch 32, 2 threads; validation/results/bench_coemunet.md).
 * OpenMP threads split the output features; OpenBLAS runs single-threaded in each.
 * Conventions as nn_ref_linear_* (nn/ops.h): W is (out, in), row-major; outputs are overwritten.
 */
#ifndef SYNOBS_NN_LINEAR_BLAS_H
#define SYNOBS_NN_LINEAR_BLAS_H

/** y (B, out) = x (B, in) · Wᵀ + b. */
void nn_blas_linear_forward(int batch, int in, int out, const float *x, const float *w, const float *b, float *y);

/** dW = dyᵀ · x, db = Σ_batch dy, and dx = dy · W where dx is not NULL. */
void nn_blas_linear_backward(int batch, int in, int out, const float *x, const float *w, const float *dy, float *dx,
                             float *dw, float *db);

/** OpenBLAS to one thread per call (the layer threads itself on OpenMP); the backend calls it at
 * start. */
void nn_blas_single_threaded(void);

#endif
