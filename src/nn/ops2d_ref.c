/**
 * @file ops2d_ref.c
 * @brief The plain-C reference of the 2-D inference layers (see ops2d.h): written for clarity,
 * sums in double.
 */
#include <math.h>
#include <string.h>

#include "nn/ops2d.h"

static int same_total(int in, int k, int s)
{
    int out = (in + s - 1) / s; /* ceil(in / s) */
    int t = (out - 1) * s + k - in;
    return t > 0 ? t : 0;
}

nn2d_pad nn2d_pad_same(int h, int w, int kh, int kw, int sh, int sw)
{
    int th = same_total(h, kh, sh), tw = same_total(w, kw, sw);
    return (nn2d_pad){th / 2, th - th / 2, tw / 2, tw - tw / 2};
}

int nn2d_conv_oh(const nn2d_conv *g) { return nn2d_out(g->h, g->kh, g->sh, g->pad.top, g->pad.bottom); }
int nn2d_conv_ow(const nn2d_conv *g) { return nn2d_out(g->w, g->kw, g->sw, g->pad.left, g->pad.right); }
int nn2d_pool_oh(const nn2d_pool *g) { return nn2d_out(g->h, g->kh, g->sh, g->pad.top, g->pad.bottom); }
int nn2d_pool_ow(const nn2d_pool *g) { return nn2d_out(g->w, g->kw, g->sw, g->pad.left, g->pad.right); }

void nn2d_fold_bn(int kh, int kw, int cin_g, int cout, float *w, float *b, const float *gamma,
                  const float *beta, const float *mean, const float *var, double eps)
{
    for (int o = 0; o < cout; o++) {
        double scale = (gamma ? gamma[o] : 1.0) / sqrt((double)var[o] + eps);
        for (size_t k = 0; k < (size_t)kh * kw * cin_g; k++) w[k * cout + o] = (float)(w[k * cout + o] * scale);
        b[o] = (float)(((double)b[o] - mean[o]) * scale + beta[o]);
    }
}

static double activate(double v, nn2d_act act)
{
    if (act == NN2D_ACT_NONE) return v;
    if (v < 0) v = 0;
    if (act == NN2D_ACT_RELU6 && v > 6) v = 6;
    return v;
}

void nn2d_ref_conv(const nn2d_conv *g, const float *x, const float *w, const float *b, nn2d_act act,
                   float *y)
{
    int oh = nn2d_conv_oh(g), ow = nn2d_conv_ow(g);
    int cin_g = g->c / g->groups, cout_g = g->cout / g->groups;
    for (int n = 0; n < g->n; n++)
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
                for (int o = 0; o < g->cout; o++) {
                    int grp = o / cout_g;
                    double s = b ? b[o] : 0.0;
                    for (int u = 0; u < g->kh; u++) {
                        int yi = i * g->sh + u - g->pad.top;
                        if (yi < 0 || yi >= g->h) continue;
                        for (int v = 0; v < g->kw; v++) {
                            int xj = j * g->sw + v - g->pad.left;
                            if (xj < 0 || xj >= g->w) continue;
                            const float *px = x + (((size_t)n * g->h + yi) * g->w + xj) * g->c + (size_t)grp * cin_g;
                            const float *pw = w + ((size_t)u * g->kw + v) * cin_g * g->cout + o;
                            for (int ci = 0; ci < cin_g; ci++) s += (double)px[ci] * pw[(size_t)ci * g->cout];
                        }
                    }
                    y[(((size_t)n * oh + i) * ow + j) * g->cout + o] = (float)activate(s, act);
                }
}

void nn2d_ref_zero_pad(int n, int h, int w, int c, nn2d_pad p, const float *x, float *y)
{
    int oh = h + p.top + p.bottom, ow = w + p.left + p.right;
    memset(y, 0, (size_t)n * oh * ow * c * sizeof *y);
    for (int b = 0; b < n; b++)
        for (int i = 0; i < h; i++)
            memcpy(y + (((size_t)b * oh + i + p.top) * ow + p.left) * c, x + ((size_t)b * h + i) * w * c,
                   (size_t)w * c * sizeof *y);
}

/* Max (max = true) or mean over the in-image cells of each window. */
static void pool(const nn2d_pool *g, bool max, const float *x, float *y)
{
    int oh = nn2d_pool_oh(g), ow = nn2d_pool_ow(g);
    for (int n = 0; n < g->n; n++)
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
                for (int c = 0; c < g->c; c++) {
                    double s = max ? -INFINITY : 0.0;
                    int count = 0;
                    for (int u = 0; u < g->kh; u++) {
                        int yi = i * g->sh + u - g->pad.top;
                        if (yi < 0 || yi >= g->h) continue;
                        for (int v = 0; v < g->kw; v++) {
                            int xj = j * g->sw + v - g->pad.left;
                            if (xj < 0 || xj >= g->w) continue;
                            double e = x[(((size_t)n * g->h + yi) * g->w + xj) * g->c + c];
                            s = max ? fmax(s, e) : s + e;
                            count++;
                        }
                    }
                    y[(((size_t)n * oh + i) * ow + j) * g->c + c] = (float)(max ? s : s / count);
                }
}

void nn2d_ref_maxpool(const nn2d_pool *g, const float *x, float *y) { pool(g, true, x, y); }
void nn2d_ref_avgpool(const nn2d_pool *g, const float *x, float *y) { pool(g, false, x, y); }

void nn2d_ref_gap(int n, int h, int w, int c, const float *x, float *y)
{
    for (int b = 0; b < n; b++)
        for (int k = 0; k < c; k++) {
            double s = 0;
            for (size_t p = 0; p < (size_t)h * w; p++) s += x[((size_t)b * h * w + p) * c + k];
            y[(size_t)b * c + k] = (float)(s / ((double)h * w));
        }
}

void nn2d_ref_add(size_t count, const float *a, const float *b, nn2d_act act, float *y)
{
    for (size_t i = 0; i < count; i++) y[i] = (float)activate((double)a[i] + b[i], act);
}

void nn2d_ref_concat(size_t pixels, int nin, const int *c, const float *const *x, float *y)
{
    int ctot = 0;
    for (int k = 0; k < nin; k++) ctot += c[k];
    for (size_t p = 0; p < pixels; p++) {
        int at = 0;
        for (int k = 0; k < nin; k++) {
            memcpy(y + p * ctot + at, x[k] + p * c[k], (size_t)c[k] * sizeof *y);
            at += c[k];
        }
    }
}

void nn2d_ref_dense(int batch, int in, int out, const float *x, const float *w, const float *b,
                    nn2d_act act, float *y)
{
    for (int n = 0; n < batch; n++)
        for (int o = 0; o < out; o++) {
            double s = b ? b[o] : 0.0;
            for (int i = 0; i < in; i++) s += (double)x[(size_t)n * in + i] * w[(size_t)i * out + o];
            y[(size_t)n * out + o] = (float)activate(s, act);
        }
}

void nn2d_ref_softmax(int batch, int n, const float *x, float *y)
{
    for (int b = 0; b < batch; b++) {
        const float *xb = x + (size_t)b * n;
        double m = -INFINITY, s = 0;
        for (int i = 0; i < n; i++) m = fmax(m, xb[i]);
        for (int i = 0; i < n; i++) s += exp((double)xb[i] - m);
        for (int i = 0; i < n; i++) y[(size_t)b * n + i] = (float)(exp((double)xb[i] - m) / s);
    }
}
