/**
 * @file loss.h
 * @brief The COEmuNet training loss (spec coemunet.md §7.1) and its gradient:
 * L = λ·MSE + (1 − λ)·(1/K)·Σ|FFT2(t) − FFT2(p)|, the FFT the full unnormalised 2D DFT of each
 * H×W image, K the number of elements. FFTW plans are made once per shape.
 */
#ifndef SYNOBS_NN_LOSS_H
#define SYNOBS_NN_LOSS_H

#include <stddef.h>

typedef struct {
    int images, h, w;     /**< images = batch × channels, each H×W */
    double lambda;
    void *forward, *inverse; /**< fftwf plans (r2c, c2r) over all images at once */
    float *real;
    void *spectrum;       /**< fftwf_complex [images × H × (W/2 + 1)] */
} nn_loss;

typedef struct {
    double total, mse, freq;
} nn_loss_value;

void nn_loss_init(nn_loss *l, int images, int h, int w, double lambda);
void nn_loss_free(nn_loss *l);
/** Loss of prediction p against target t ([images × H × W] each); grad (same size) if not NULL. */
nn_loss_value nn_loss_eval(nn_loss *l, const float *p, const float *t, float *grad);

#endif
