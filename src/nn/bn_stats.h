/**
 * @file bn_stats.h
 * @brief Batch mean and (biased) variance per channel for training-mode BatchNorm, summed in double.
 *
 * oneDNN's f32 BatchNorm sums in float. Its statistics then carry errors near 1e-6, and the
 * parameter gradients, dγ = Σ dy·x̂ and dβ = Σ dy over B·D·H·W nearly cancel in the stems and
 * magnify them: measured against a float64 PyTorch run of COEmuNet, the stem BN gradients were
 * 1.3e-4 to 1.8e-4 off with oneDNN's statistics and 3.8e-5 with these (PyTorch's CPU BatchNorm also
 * accumulates in double).
 */
#ifndef SYNOBS_NN_BN_STATS_H
#define SYNOBS_NN_BN_STATS_H

#include "nn/dims.h"

/**
 * @brief Per-channel batch mean and biased variance of x, shape s (s.n = batch, NCDHW).
 *
 * One pass: shifted sums (shift = the channel's first value, so x − shift is exact in double) in
 * 16 double lanes. Channels are independent, so threads change no result.
 */
void nn_bn_batch_stats(nn_dims s, const float *x, float *mean, float *var);

#endif
