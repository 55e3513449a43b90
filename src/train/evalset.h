/**
 * @file evalset.h
 * @brief The emulator's metrics on a set of samples (spec coemunet.md §8), computed by all ranks:
 * validation during training and `synobs evaluate`.
 *
 * The samples are cut into chunks of `chunk` samples from their list (never from the rank count),
 * each rank taking a contiguous run of chunks, so the SSIM data range (max − min of each channel's
 * targets over a chunk, as the reference's evaluation) and every figure are the same at any rank
 * count. Per sample: MaxRel [%] in physical intensity, ZNCC and SSIM in normalised log space
 * (each the mean over channels), and the loss.
 */
#ifndef SYNOBS_TRAIN_EVALSET_H
#define SYNOBS_TRAIN_EVALSET_H

#include <stdint.h>

#include "io/dataset.h"
#include "nn/graph.h"
#include "nn/preprocess.h"

typedef struct {
    int64_t n;
    int64_t *sample;                  /**< global sample indices, in the order given */
    double *maxrel, *zncc, *ssim, *loss;
} eval_result;

/**
 * @brief Collective: metrics of samples index[0, n) with g in inference mode at its batch size.
 * Results land on every rank. Returns 0, or -1 on a read error (agreed across ranks).
 */
int eval_run(nn_graph *g, dataset *ds, const int64_t *index, int64_t n, const nn_norm *norm, double loss_lambda,
             int64_t chunk, eval_result *out);
void eval_result_free(eval_result *r);
/** Median of n values (not modified). */
double eval_median(const double *v, int64_t n);
double eval_mean(const double *v, int64_t n);

/**
 * @brief Predict samples index[0, n) (normalised, (n, 1, F, G, G)) with g in inference mode; the
 * caller's buffers. Not collective.
 */
int eval_predict(nn_graph *g, dataset *ds, const int64_t *index, int64_t n, const nn_norm *norm, float *pred,
                 float *target);

#endif
