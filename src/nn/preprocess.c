/**
 * @file preprocess.c
 * @brief Normalisation and its inverse (see preprocess.h).
 */
#include "nn/preprocess.h"

#include <math.h>

#include "core/check.h"

int nn_norm_from_stats(const stat_summary s[NSTAT], const char *path, int median_scaled, nn_norm *out)
{
    nn_norm nm = {
        .v_mean = s[STAT_VZ].mean,
        .v_std = sqrt(s[STAT_VZ].variance),
        .t_min = s[STAT_LOG_T].min,
        .t_scale = s[STAT_LOG_T].median - s[STAT_LOG_T].min,
        .n_min = s[STAT_LOG_NCO].min,
        .n_scale = s[STAT_LOG_NCO].median - s[STAT_LOG_NCO].min,
        .i_min = s[STAT_LOG_I].min,
        .i_max = s[STAT_LOG_I].max,
        .i_scale = median_scaled ? s[STAT_LOG_I].median - s[STAT_LOG_I].min : s[STAT_LOG_I].max - s[STAT_LOG_I].min,
        .i_clip = !median_scaled,
    };
    if (!(nm.v_std > 0)) return error_set("%s: v_z has zero spread, so it cannot be standardised", path);
    if (!(nm.t_scale > 0)) return error_set("%s: median(ln T) equals its minimum, so T cannot be scaled", path);
    if (!(nm.n_scale > 0)) return error_set("%s: median(ln n_CO) equals its minimum, so n_CO cannot be scaled", path);
    if (!(nm.i_scale > 0)) return error_set("%s: ln I has no spread, so the intensity cannot be scaled", path);
    *out = nm;
    return 0;
}

nn_norm nn_norm_published(void)
{
    return (nn_norm){6.9246927695198446, 6398.3946975237795, 2.995732307434082, 2.2992773056030273,
                     4.6492776870727539, 4.1785783767700195, -40.0, -27.064306259155273,
                     -27.064306259155273 + 40.0, 1};
}

void nn_norm_inputs(const nn_norm *nm, size_t cells, const float *vz, const float *T, const float *n, float *out)
{
    for (size_t j = 0; j < cells; j++) {
        out[j] = (float)((vz[j] - nm->v_mean) / nm->v_std);
        out[cells + j] = (float)((log((double)T[j]) - nm->t_min) / nm->t_scale);
        out[2 * cells + j] = (float)((log((double)n[j]) - nm->n_min) / nm->n_scale);
    }
}

void nn_norm_intensity(const nn_norm *nm, size_t n, const float *I, float *y)
{
    float smallest = INFINITY;
    for (size_t j = 0; j < n; j++)
        if (I[j] > 0 && I[j] < smallest) smallest = I[j];
    for (size_t j = 0; j < n; j++) {
        double v = I[j] > 0 ? I[j] : smallest;
        double t = isfinite(v) && v > 0 ? log(v) : nm->i_min;
        if (nm->i_clip) t = fmax(t, nm->i_min);
        y[j] = (float)((t - nm->i_min) / nm->i_scale);
    }
}

void nn_denorm_intensity(const nn_norm *nm, size_t n, const float *y, double *I)
{
    for (size_t j = 0; j < n; j++) I[j] = exp((double)y[j] * nm->i_scale + nm->i_min);
}

bool nn_norm_equal(const nn_norm *a, const nn_norm *b)
{
    return a->v_mean == b->v_mean && a->v_std == b->v_std && a->t_min == b->t_min && a->t_scale == b->t_scale &&
           a->n_min == b->n_min && a->n_scale == b->n_scale && a->i_min == b->i_min && a->i_max == b->i_max &&
           a->i_scale == b->i_scale && a->i_clip == b->i_clip;
}
