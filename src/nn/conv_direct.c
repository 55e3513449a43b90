#include "nn/conv_direct.h"

enum { MAX_IN_CHANNELS = 4, MAX_ROW = 256 };

bool nn_conv_direct_applies(int in_channels, const int k[3], const int s[3], const int p[3])
{
    return in_channels <= MAX_IN_CHANNELS && s[0] == 1 && s[1] == 1 && s[2] == 1 && p[0] == 0 && p[1] == 0 &&
           p[2] == 0 && k[0] * k[1] * k[2] <= 125;
}

void nn_conv_direct_forward(nn_dims x, int out_channels, const int k[3], const float *xv, const float *w,
                            const float *b, bool relu, float *yv)
{
    const int od_n = x.d - k[0] + 1, oh_n = x.h - k[1] + 1, ow_n = x.w - k[2] + 1;
    const size_t plane = (size_t)x.h * x.w, vol = nn_spatial(x), out_vol = (size_t)od_n * oh_n * ow_n;
    const int taps = k[0] * k[1] * k[2];
#pragma omp parallel for schedule(static) collapse(2)
    for (int n = 0; n < x.n; n++)
        for (int o = 0; o < out_channels; o++) {
            const float *wo = w + (size_t)o * x.c * taps;
            for (int od = 0; od < od_n; od++)
                for (int oh = 0; oh < oh_n; oh++) {
                    float *y = yv + ((size_t)n * out_channels + o) * out_vol + ((size_t)od * oh_n + oh) * ow_n;
                    for (int j0 = 0; j0 < ow_n; j0 += MAX_ROW) {
                        int len = ow_n - j0 < MAX_ROW ? ow_n - j0 : MAX_ROW;
                        float acc[MAX_ROW];
                        for (int j = 0; j < len; j++) acc[j] = b[o];
                        for (int c = 0; c < x.c; c++)
                            for (int a = 0; a < k[0]; a++)
                                for (int e = 0; e < k[1]; e++) {
                                    const float *xr = xv + ((size_t)n * x.c + c) * vol + (size_t)(od + a) * plane +
                                                      (size_t)(oh + e) * x.w + j0;
                                    const float *wt = wo + ((c * k[0] + a) * k[1] + e) * k[2];
                                    for (int f = 0; f < k[2]; f++) {
                                        const float wv = wt[f];
                                        for (int j = 0; j < len; j++) acc[j] += wv * xr[j + f];
                                    }
                                }
                        if (relu)
                            for (int j = 0; j < len; j++) y[j0 + j] = acc[j] > 0 ? acc[j] : 0.0f;
                        else
                            for (int j = 0; j < len; j++) y[j0 + j] = acc[j];
                    }
                }
        }
}
