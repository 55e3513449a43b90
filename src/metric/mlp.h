/**
 * @file mlp.h
 * @brief The triplet-loss MLP of spec/analogues.md §8.1 on cached GAP features: channel dropout
 * (= spatial dropout before GAP) on the C-vector, Dense H1 + ReLU, dropout, Dense H2 + ReLU,
 * dropout, Dense D (linear). Kernels are Keras-layout [in, out], He normal, biases zero.
 *
 * Every sum runs in a fixed order in plain loops (no BLAS), so a sample's outputs and a chunk's
 * gradient do not depend on which rank computes them nor on the batch around them: that is what
 * lets 1 and 2 ranks give bit-identical weights (see mlp_tree_*).
 */
#ifndef SYNOBS_METRIC_MLP_H
#define SYNOBS_METRIC_MLP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int C, H1, H2, D;
    size_t n;                               /**< parameters in all */
    size_t w1, b1, w2, b2, w3, b3;          /**< offsets in the flat buffer */
} mlp_shape;

void mlp_shape_init(mlp_shape *s, int C, int H1, int H2, int D);
/** He normal N(0, 2/fan_in) kernels from streams of `seed`, zero biases. */
void mlp_init(const mlp_shape *s, float *p, uint64_t seed);
/** λ Σ w² over the three kernels, and (if g) g += 2λ w on the kernels. */
double mlp_l2(const mlp_shape *s, const float *p, double lambda, float *g);

/**
 * @brief Dropout mask of one sample and layer (0 input, 1 first hidden, 2 second hidden): entries
 * 0 or 1/(1 - P), from the counter-based stream keyed on (seed, step, global sample, layer).
 */
void mlp_dropout_mask(uint64_t seed, int64_t step, int64_t sample, int layer, double P, int n, float *mask);

/** Activations of a chunk of `m` samples (forward pass kept for the backward pass). */
typedef struct {
    int m, cap;
    float *x0, *h1, *h2, *out;     /**< dropped input (m,C), post-ReLU-and-dropout h1 (m,H1), h2 (m,H2), out (m,D) */
    float *m1, *m2;                /**< masks of the hidden layers (m,H1), (m,H2) (1 without dropout) */
    float *d1, *d2, *dout;         /**< backward scratch */
} mlp_work;

void mlp_work_init(mlp_work *w, const mlp_shape *s, int cap);
void mlp_work_free(mlp_work *w);

/**
 * @brief Forward m samples x (m, C) (rows may be scattered: x[i] points at sample i's C floats).
 * masks0/1/2 (m,C)/(m,H1)/(m,H2) or NULL for no dropout (inference).
 */
void mlp_forward(const mlp_shape *s, const float *p, int m, const float *const *x, const float *mask0,
                 const float *mask1, const float *mask2, mlp_work *w);
/** Backward of the last forward, with dL/dout in w->dout (m, D): g += the gradient, summed over the
 * samples in order 0..m-1 for every parameter. */
void mlp_backward(const mlp_shape *s, const float *p, mlp_work *w, float *g);
/** Inference: out (n, D) of rows (n, C), no dropout. */
void mlp_embed(const mlp_shape *s, const float *p, const float *rows, int64_t n, float *out);

/** Pairwise (tree) sum of `leaves` buffers of n floats at buf + i*n (leaves a power of two) into
 * buf[0..n), in the fixed order ((0+1)+(2+3))+... */
void mlp_tree_sum(float *buf, int leaves, size_t n);

#endif
