#include "nn/bn_stats.h"

enum { LANES = 16 };

void nn_bn_batch_stats(nn_dims s, const float *x, float *mean, float *var)
{
    const size_t sp = nn_spatial(s), per_sample = nn_sample(s);
    const double m = (double)s.n * (double)sp;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < s.c; c++) {
        const double k = x[(size_t)c * sp];
        double s1[LANES] = {0}, s2[LANES] = {0};
        for (int n = 0; n < s.n; n++) {
            const float *xc = x + (size_t)n * per_sample + (size_t)c * sp;
            size_t i = 0;
            for (; i + LANES <= sp; i += LANES)
                for (int l = 0; l < LANES; l++) {
                    double d = (double)xc[i + l] - k;
                    s1[l] += d;
                    s2[l] += d * d;
                }
            for (int l = 0; i < sp; i++, l++) {
                double d = (double)xc[i] - k;
                s1[l] += d;
                s2[l] += d * d;
            }
        }
        double t1 = 0, t2 = 0;
        for (int l = 0; l < LANES; l++) { t1 += s1[l]; t2 += s2[l]; }
        double d_mean = t1 / m, v = t2 / m - d_mean * d_mean;
        mean[c] = (float)(k + d_mean);
        var[c] = (float)(v > 0 ? v : 0.0);
    }
}
