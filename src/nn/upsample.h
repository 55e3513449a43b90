/**
 * @file upsample.h
 * @brief Nearest upsampling by integer factors (COEmuNet's decoder, (1, 2, 2)), forward and
 * backward, on plain NCDHW tensors. The reference layer's loops divide per element; these copy
 * rows. Results are bit-identical to the reference layer (the backward adds in the same order).
 */
#ifndef SYNOBS_NN_UPSAMPLE_H
#define SYNOBS_NN_UPSAMPLE_H

#include "nn/dims.h"

/** y (x.n, x.c, x.d·f0, x.h·f1, x.w·f2) = x repeated. */
void nn_upsample_forward(nn_dims x, const int f[3], const float *xv, float *yv);
/** dx = sum of dy over each input cell's f0·f1·f2 copies. */
void nn_upsample_backward(nn_dims x, const int f[3], const float *dy, float *dx);

#endif
