#include "nn/maxpool.h"

#include <string.h>

/* One output row (fixed n, c, od, oh) of a window k0×k1×k2; inlined with constant k for 2×2×2. */
static inline void row_forward(const float *x, size_t plane, size_t row, int k0, int k1, int k2, int ow_n,
                               float *y, uint8_t *arg)
{
    for (int ow = 0; ow < ow_n; ow++) {
        float best = x[(size_t)ow * k2];
        int at = 0;
        for (int a = 0; a < k0; a++)
            for (int b = 0; b < k1; b++)
                for (int e = 0; e < k2; e++) {
                    float v = x[a * plane + b * row + (size_t)ow * k2 + e];
                    int gt = v > best;
                    best = gt ? v : best;
                    at = gt ? (a * k1 + b) * k2 + e : at;
                }
        y[ow] = best;
        if (arg) arg[ow] = (uint8_t)at;
    }
}

enum { MAX_ROW = 512 };

/* c ? a : b (c is 0 or 1) by masks, never a branch. Written as ternaries, GCC compiled the scalar
 * loops (all of a 15-wide row, the tail of a 30-wide one) to branches, which mispredicted on the
 * ties of ReLU's zeros: 3.5 against 0.6 ms per stem pooling at batch 32. */
static inline int32_t select_i(int32_t c, int32_t a, int32_t b)
{
    const int32_t mask = -c;
    return (a & mask) | (b & ~mask);
}

static inline float select_f(int32_t c, float a, float b)
{
    uint32_t ua, ub;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    const uint32_t r = (uint32_t)select_i(c, (int32_t)ua, (int32_t)ub);
    float f;
    memcpy(&f, &r, sizeof f);
    return f;
}

/* The 2x2x2 window of one output row: the first maximum over the four input rows of each column
 * (a, b in order), then over the column pair; on a tie between the pair, the earlier position in
 * (d, h, w) order, i.e. the smaller row index, then w. Stage one runs along W in vector registers. */
static void row_forward_k2(const float *x, size_t plane, size_t row, int ow_n, float *y, uint8_t *arg)
{
    const float *r0 = x, *r1 = x + row, *r2 = x + plane, *r3 = x + plane + row;
    float m[MAX_ROW];
    int32_t at[MAX_ROW];
    const int w_n = 2 * ow_n;
    if (!arg) { /* inference: the maximum only */
        for (int w = 0; w < w_n; w++) {
            float a = r0[w] > r1[w] ? r0[w] : r1[w], b = r2[w] > r3[w] ? r2[w] : r3[w];
            m[w] = a > b ? a : b;
        }
        for (int ow = 0; ow < ow_n; ow++) y[ow] = m[2 * ow] > m[2 * ow + 1] ? m[2 * ow] : m[2 * ow + 1];
        return;
    }
    for (int w = 0; w < w_n; w++) { /* a tournament: on ties the earlier row wins, as in a scan */
        const float v0 = r0[w], v1 = r1[w], v2 = r2[w], v3 = r3[w];
        const int32_t c01 = v1 > v0, c23 = v3 > v2;
        const float m01 = select_f(c01, v1, v0), m23 = select_f(c23, v3, v2);
        const int32_t c = m23 > m01;
        m[w] = select_f(c, m23, m01);
        at[w] = select_i(c, 2 + c23, c01);
    }
    for (int ow = 0; ow < ow_n; ow++) {
        const float v0 = m[2 * ow], v1 = m[2 * ow + 1];
        const int32_t a0 = at[2 * ow], a1 = at[2 * ow + 1];
        const int32_t take1 = (v1 > v0) | ((v1 == v0) & (a1 < a0));
        y[ow] = select_f(take1, v1, v0);
        arg[ow] = (uint8_t)select_i(take1, 2 * a1 + 1, 2 * a0);
    }
}

void nn_maxpool_forward(nn_dims x, const int k[3], const float *xv, float *yv, uint8_t *arg)
{
    const int od_n = x.d / k[0], oh_n = x.h / k[1], ow_n = x.w / k[2];
    const size_t row = (size_t)x.w, plane = (size_t)x.h * x.w, vol = nn_spatial(x);
    const size_t out_vol = (size_t)od_n * oh_n * ow_n;
    const int k2x2x2 = k[0] == 2 && k[1] == 2 && k[2] == 2 && ow_n <= MAX_ROW / 2;
#pragma omp parallel for schedule(static) collapse(2)
    for (int nc = 0; nc < x.n * x.c; nc++)
        for (int od = 0; od < od_n; od++)
            for (int oh = 0; oh < oh_n; oh++) {
                const float *xr = xv + (size_t)nc * vol + (size_t)od * k[0] * plane + (size_t)oh * k[1] * row;
                size_t o = (size_t)nc * out_vol + ((size_t)od * oh_n + oh) * ow_n;
                uint8_t *ar = arg ? arg + o : NULL;
                if (k2x2x2) row_forward_k2(xr, plane, row, ow_n, yv + o, ar);
                else row_forward(xr, plane, row, k[0], k[1], k[2], ow_n, yv + o, ar);
            }
}

void nn_maxpool_backward(nn_dims x, const int k[3], const uint8_t *arg, const float *dy, float *dx)
{
    const int od_n = x.d / k[0], oh_n = x.h / k[1], ow_n = x.w / k[2];
    const size_t row = (size_t)x.w, plane = (size_t)x.h * x.w, vol = nn_spatial(x);
    const size_t out_vol = (size_t)od_n * oh_n * ow_n;
#pragma omp parallel for schedule(static)
    for (int nc = 0; nc < x.n * x.c; nc++) {
        float *d = dx + (size_t)nc * vol;
        memset(d, 0, vol * sizeof *d);
        for (int od = 0; od < od_n; od++)
            for (int oh = 0; oh < oh_n; oh++)
                for (int ow = 0; ow < ow_n; ow++) {
                    size_t o = (size_t)nc * out_vol + ((size_t)od * oh_n + oh) * ow_n + ow;
                    int at = arg[o], e = at % k[2], b = (at / k[2]) % k[1], a = at / (k[1] * k[2]);
                    d[(size_t)(od * k[0] + a) * plane + (size_t)(oh * k[1] + b) * row + (size_t)ow * k[2] + e] = dy[o];
                }
    }
}
