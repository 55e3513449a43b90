/**
 * @file metrics.h
 * @brief Evaluation metrics of the emulator, as spec coemunet.md §8 defines them, on batches of
 * (n, F, H, W) images (the singleton channel removed).
 */
#ifndef SYNOBS_NN_METRICS_H
#define SYNOBS_NN_METRICS_H

#include <stddef.h>

/** MaxRel of one sample of physical intensities: 100·mean |I_t − I_p| / max over channels of I_t. */
double metric_maxrel_sample(const double *ip, const double *it, int F, int H, int W);
/** ZNCC of one H×W image pair; 0 when either image is constant. */
double metric_zncc_image(const float *p, const float *t, int H, int W);
/** ZNCC averaged over samples per channel, then over channels. */
double metric_zncc(const float *p, const float *t, int n, int F, int H, int W);
/**
 * @brief SSIM map of one image pair (torchmetrics: 11×11 Gaussian σ 1.5, reflect padding by 5,
 * k1 0.01, k2 0.03, data range L); map is H×W.
 */
void metric_ssim_map(const float *p, const float *t, int H, int W, double data_range, double *map);
/** SSIM with L = max − min of each channel's targets over the batch; mean over pixels, samples, channels. */
double metric_ssim(const float *p, const float *t, int n, int F, int H, int W);
/** Median of values (sorted in place); the mean of the two middle values for an even count, as numpy. */
double metric_median(double *values, size_t n);

#endif
