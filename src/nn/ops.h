/**
 * @file ops.h
 * @brief The plain-C reference of every layer, forward and backward.
 *
 * Written for clarity, not speed: loops in the order of the definitions, sums in double. The
 * tests compare the oneDNN backend (ops_dnnl.c) against these, and `verify-golden` can run a
 * whole model on them. Conventions are PyTorch's (weights (C_out, C_in, kD, kH, kW), linear
 * weights (out, in), BatchNorm with the biased batch variance, max pooling with floor).
 * Backward functions overwrite (never accumulate into) their outputs; a NULL output is skipped.
 */
#ifndef SYNOBS_NN_OPS_H
#define SYNOBS_NN_OPS_H

#include "nn/dims.h"

/** A convolution: input and output shapes, kernel, stride and zero padding per axis (D, H, W). */
typedef struct {
    nn_dims x, y;
    int k[3], s[3], p[3];
} nn_conv_geom;

/** Output extent of a convolution or pooling along one axis. */
static inline int nn_conv_out(int in, int k, int s, int p) { return (in + 2 * p - k) / s + 1; }

void nn_ref_conv_forward(const nn_conv_geom *g, const float *x, const float *w, const float *b,
                         float *y);
void nn_ref_conv_backward(const nn_conv_geom *g, const float *x, const float *w, const float *dy,
                          float *dx, float *dw, float *db);

/** Training mode: normalise with the batch mean and biased variance, which are returned. */
void nn_ref_bn_forward_train(nn_dims s, const float *x, const float *gamma, const float *beta,
                             float eps, float *y, float *mean, float *var);
/** Inference mode: normalise with the given (running) statistics. */
void nn_ref_bn_forward_infer(nn_dims s, const float *x, const float *gamma, const float *beta,
                             const float *mean, const float *var, float eps, float *y);
void nn_ref_bn_backward(nn_dims s, const float *x, const float *dy, const float *gamma,
                        const float *mean, const float *var, float eps, float *dx, float *dgamma,
                        float *dbeta);

void nn_ref_relu_forward(size_t n, const float *x, float *y);
/** Uses the output y (y > 0 exactly where x > 0). */
void nn_ref_relu_backward(size_t n, const float *y, const float *dy, float *dx);
void nn_ref_tanh_forward(size_t n, const float *x, float *y);
void nn_ref_tanh_backward(size_t n, const float *y, const float *dy, float *dx);

/** Max pooling with kernel = stride = k per axis, no padding, floor (PyTorch's MaxPool3d(k)). */
void nn_ref_maxpool_forward(nn_dims x, nn_dims y, const int k[3], const float *xv, float *yv);
/** The gradient goes to the first maximum of each window (PyTorch's choice on ties). */
void nn_ref_maxpool_backward(nn_dims x, nn_dims y, const int k[3], const float *xv,
                             const float *dy, float *dx);

/** Nearest upsampling by integer factors f per axis: out[i] = in[floor(i / f)]. */
void nn_ref_upsample_forward(nn_dims x, const int f[3], const float *xv, float *yv);
void nn_ref_upsample_backward(nn_dims x, const int f[3], const float *dy, float *dx);

/** y (B, out) = x (B, in) · Wᵀ + b, W (out, in). */
void nn_ref_linear_forward(int batch, int in, int out, const float *x, const float *w,
                           const float *b, float *y);
void nn_ref_linear_backward(int batch, int in, int out, const float *x, const float *w,
                            const float *dy, float *dx, float *dw, float *db);

#endif
