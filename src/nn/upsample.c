#include "nn/upsample.h"

#include <string.h>

void nn_upsample_forward(nn_dims x, const int f[3], const float *xv, float *yv)
{
    const size_t yw = (size_t)x.w * f[2], yh = (size_t)x.h * f[1], yd = (size_t)x.d * f[0];
#pragma omp parallel for schedule(static)
    for (int nc = 0; nc < x.n * x.c; nc++)
        for (int d = 0; d < x.d; d++)
            for (int h = 0; h < x.h; h++) {
                const float *src = xv + (((size_t)nc * x.d + d) * x.h + h) * x.w;
                float *first = yv + (((size_t)nc * yd + (size_t)d * f[0]) * yh + (size_t)h * f[1]) * yw;
                for (int w = 0; w < x.w; w++)
                    for (int e = 0; e < f[2]; e++) first[(size_t)w * f[2] + e] = src[w];
                for (int a = 0; a < f[0]; a++)
                    for (int b = 0; b < f[1]; b++)
                        if (a || b) memcpy(first + ((size_t)a * yh + b) * yw, first, yw * sizeof *first);
            }
}

void nn_upsample_backward(nn_dims x, const int f[3], const float *dy, float *dx)
{
    const size_t yw = (size_t)x.w * f[2], yh = (size_t)x.h * f[1], yd = (size_t)x.d * f[0];
#pragma omp parallel for schedule(static)
    for (int nc = 0; nc < x.n * x.c; nc++)
        for (int d = 0; d < x.d; d++)
            for (int h = 0; h < x.h; h++) {
                float *out = dx + (((size_t)nc * x.d + d) * x.h + h) * x.w;
                const float *first = dy + (((size_t)nc * yd + (size_t)d * f[0]) * yh + (size_t)h * f[1]) * yw;
                for (int w = 0; w < x.w; w++) out[w] = 0.0f;
                /* in (d, h, w) order of the copies, as the reference layer adds them */
                for (int a = 0; a < f[0]; a++)
                    for (int b = 0; b < f[1]; b++) {
                        const float *r = first + ((size_t)a * yh + b) * yw;
                        for (int w = 0; w < x.w; w++)
                            for (int e = 0; e < f[2]; e++) out[w] += r[(size_t)w * f[2] + e];
                    }
            }
}
