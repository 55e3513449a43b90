/**
 * @file preprocess.h
 * @brief COEmuNet's normalisation (spec coemunet.md §6.3, the paper's eqs 12–16) and its inverse.
 *
 * Inputs: v_z' = (v_z − μ)/σ; T' = (ln T − min ln T)/median(ln T − min ln T), n_CO likewise.
 * Intensity: I' = I with exact zeros replaced by the sample's smallest non-zero value, then
 * y = (max(ln I', I_min) − I_min)/(I_max − I_min) ∈ [0, 1] (multi-frequency, §6.3), or
 * y = (ln I' − I_min)/median(ln I − I_min), no clip (single-frequency, §6.4).
 * Computed in double, stored float32.
 */
#ifndef SYNOBS_NN_PREPROCESS_H
#define SYNOBS_NN_PREPROCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "io/statsfile.h"

typedef struct {
    double v_mean, v_std;     /**< of v_z */
    double t_min, t_scale;    /**< min of ln T, median of (ln T − min) */
    double n_min, n_scale;    /**< the same for n_CO */
    double i_min, i_max;      /**< min and max of ln I over positive intensities */
    double i_scale;           /**< I_max − I_min, or the median of ln I − I_min */
    int i_clip;               /**< 1: clip ln I' at I_min (min–max scaling); 0: median scaling */
} nn_norm;

/** From a `synobs stats` file's summaries (exact global medians), min–max scaled intensities or,
 * with median_scaled, the single-frequency scaling; -1 with error_set if unusable. */
int nn_norm_from_stats(const stat_summary s[NSTAT], const char *path, int median_scaled, nn_norm *out);
/** Field by field (a struct's padding bytes are unspecified, so memcmp would see differences that are not there). */
bool nn_norm_equal(const nn_norm *a, const nn_norm *b);
/** The constants of the published model (reference code's mulfreq statistics). */
nn_norm nn_norm_published(void);

/** Three normalised channels [v_z | T | n_CO] (each `cells` long) from one sample's cubes. */
void nn_norm_inputs(const nn_norm *nm, size_t cells, const float *vz, const float *T, const float *n, float *out);
/** One sample's intensities (n values) to normalised targets. */
void nn_norm_intensity(const nn_norm *nm, size_t n, const float *I, float *y);
/** Normalised predictions back to physical intensity (double, for the metrics). */
void nn_denorm_intensity(const nn_norm *nm, size_t n, const float *y, double *I);

#endif
