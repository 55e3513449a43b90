/**
 * @file maxpool.h
 * @brief Max pooling with kernel = stride and floor division (COEmuNet's stem), forward and
 * backward, on plain NCDHW tensors, for the oneDNN backend.
 *
 * oneDNN 2.6 has only its reference kernel (simple_nchw) for plain layouts: 10.4 ms for one stem
 * pooling of batch 32 at G = 32, a fifth of COEmuNet's inference. These loops run along W with the
 * window taps unrolled. Ties go to the first maximum in (d, h, w) order, as in the reference layer.
 */
#ifndef SYNOBS_NN_MAXPOOL_H
#define SYNOBS_NN_MAXPOOL_H

#include <stdint.h>

#include "nn/dims.h"

/**
 * @brief y = max over each k[0]×k[1]×k[2] window of x (x.n = batch; y has x's extents / k, floored).
 * @param arg NULL in inference; in training, per output, the window position of the maximum
 *            (kd·k1·k2 + kh·k2 + kw; windows of at most 256 cells), which the backward reads.
 */
void nn_maxpool_forward(nn_dims x, const int k[3], const float *xv, float *yv, uint8_t *arg);
/** dx = dy routed to each window's maximum, zero elsewhere. */
void nn_maxpool_backward(nn_dims x, const int k[3], const uint8_t *arg, const float *dy, float *dx);

#endif
