/**
 * @file conv_direct.h
 * @brief Direct 3D convolution for few input channels, stride 1, no padding: COEmuNet's stems
 * (1 -> 4 channels, 3x3x3), for the oneDNN backend.
 *
 * On plain layouts oneDNN 2.6 runs this shape as im2col + gemm with a 27-deep, 4-wide product:
 * 15 ms per stem forward at batch 32, G = 32 (12 GFLOP/s), the largest single layer of COEmuNet's
 * inference. Here each output row accumulates its taps along W in vector registers.
 */
#ifndef SYNOBS_NN_CONV_DIRECT_H
#define SYNOBS_NN_CONV_DIRECT_H

#include <stdbool.h>

#include "nn/dims.h"

/** Whether a conv of this geometry takes the direct path (few input channels, stride 1, no padding). */
bool nn_conv_direct_applies(int in_channels, const int k[3], const int s[3], const int p[3]);

/**
 * @brief y = conv(x, w) + b, then max(y, 0) if relu. x: (N, C, D, H, W); w: (O, C, k0, k1, k2);
 * y: (N, O, D − k0 + 1, H − k1 + 1, W − k2 + 1). Sums in float, taps in (c, kd, kh, kw) order.
 */
void nn_conv_direct_forward(nn_dims x, int out_channels, const int k[3], const float *xv, const float *w,
                            const float *b, bool relu, float *yv);

#endif
