/**
 * @file ops_ref.c
 * @brief Plain-C reference layers (see ops.h): direct loops, double accumulators.
 */
#include "nn/ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"

/* Index of (n, c, d, h, w) in an NCDHW tensor of shape s. */
static inline size_t at(nn_dims s, int n, int c, int d, int h, int w)
{
    return ((((size_t)n * s.c + c) * s.d + d) * s.h + h) * s.w + w;
}

/* Input coordinate of output o and kernel tap k, or -1 when it falls in the zero padding. */
static inline int tap(int o, int k, int s, int p, int extent)
{
    int i = o * s - p + k;
    return (i >= 0 && i < extent) ? i : -1;
}

void nn_ref_conv_forward(const nn_conv_geom *g, const float *x, const float *w, const float *b,
                         float *y)
{
    const nn_dims X = g->x, Y = g->y;
    const int kd = g->k[0], kh = g->k[1], kw = g->k[2];
    for (int n = 0; n < Y.n; n++)
        for (int co = 0; co < Y.c; co++)
            for (int od = 0; od < Y.d; od++)
                for (int oh = 0; oh < Y.h; oh++)
                    for (int ow = 0; ow < Y.w; ow++) {
                        double acc = b ? b[co] : 0.0;
                        for (int ci = 0; ci < X.c; ci++)
                            for (int a = 0; a < kd; a++) {
                                int id = tap(od, a, g->s[0], g->p[0], X.d);
                                if (id < 0) continue;
                                for (int bb = 0; bb < kh; bb++) {
                                    int ih = tap(oh, bb, g->s[1], g->p[1], X.h);
                                    if (ih < 0) continue;
                                    for (int c = 0; c < kw; c++) {
                                        int iw = tap(ow, c, g->s[2], g->p[2], X.w);
                                        if (iw < 0) continue;
                                        size_t wi = (((size_t)co * X.c + ci) * kd + a) * kh * kw + bb * kw + c;
                                        acc += (double)w[wi] * x[at(X, n, ci, id, ih, iw)];
                                    }
                                }
                            }
                        y[at(Y, n, co, od, oh, ow)] = (float)acc;
                    }
}

void nn_ref_conv_backward(const nn_conv_geom *g, const float *x, const float *w, const float *dy,
                          float *dx, float *dw, float *db)
{
    const nn_dims X = g->x, Y = g->y;
    const int kd = g->k[0], kh = g->k[1], kw = g->k[2];
    if (db)
        for (int co = 0; co < Y.c; co++) {
            double acc = 0;
            for (int n = 0; n < Y.n; n++)
                for (size_t i = 0; i < nn_spatial(Y); i++) acc += dy[at(Y, n, co, 0, 0, 0) + i];
            db[co] = (float)acc;
        }
    if (dw)
        for (int co = 0; co < Y.c; co++)
            for (int ci = 0; ci < X.c; ci++)
                for (int a = 0; a < kd; a++)
                    for (int bb = 0; bb < kh; bb++)
                        for (int c = 0; c < kw; c++) {
                            double acc = 0;
                            for (int n = 0; n < Y.n; n++)
                                for (int od = 0; od < Y.d; od++) {
                                    int id = tap(od, a, g->s[0], g->p[0], X.d);
                                    if (id < 0) continue;
                                    for (int oh = 0; oh < Y.h; oh++) {
                                        int ih = tap(oh, bb, g->s[1], g->p[1], X.h);
                                        if (ih < 0) continue;
                                        for (int ow = 0; ow < Y.w; ow++) {
                                            int iw = tap(ow, c, g->s[2], g->p[2], X.w);
                                            if (iw < 0) continue;
                                            acc += (double)dy[at(Y, n, co, od, oh, ow)] *
                                                   x[at(X, n, ci, id, ih, iw)];
                                        }
                                    }
                                }
                            dw[(((size_t)co * X.c + ci) * kd + a) * kh * kw + bb * kw + c] = (float)acc;
                        }
    if (dx) {
        /* Scatter form of the transposed convolution, accumulated in double per input element. */
        size_t nx = nn_numel(X);
        double *acc = xcalloc(nx, sizeof *acc);
        for (int n = 0; n < Y.n; n++)
            for (int co = 0; co < Y.c; co++)
                for (int od = 0; od < Y.d; od++)
                    for (int oh = 0; oh < Y.h; oh++)
                        for (int ow = 0; ow < Y.w; ow++) {
                            double gy = dy[at(Y, n, co, od, oh, ow)];
                            for (int ci = 0; ci < X.c; ci++)
                                for (int a = 0; a < kd; a++) {
                                    int id = tap(od, a, g->s[0], g->p[0], X.d);
                                    if (id < 0) continue;
                                    for (int bb = 0; bb < kh; bb++) {
                                        int ih = tap(oh, bb, g->s[1], g->p[1], X.h);
                                        if (ih < 0) continue;
                                        for (int c = 0; c < kw; c++) {
                                            int iw = tap(ow, c, g->s[2], g->p[2], X.w);
                                            if (iw < 0) continue;
                                            size_t wi = (((size_t)co * X.c + ci) * kd + a) * kh * kw + bb * kw + c;
                                            acc[at(X, n, ci, id, ih, iw)] += gy * w[wi];
                                        }
                                    }
                                }
                        }
        for (size_t i = 0; i < nx; i++) dx[i] = (float)acc[i];
        free(acc);
    }
}

/* Per-channel sums over (N, D, H, W). */
static void channel_stats(nn_dims s, const float *x, int c, double *mean, double *var)
{
    size_t sp = nn_spatial(s), m = (size_t)s.n * sp;
    double sum = 0, sq = 0;
    for (int n = 0; n < s.n; n++)
        for (size_t i = 0; i < sp; i++) sum += x[at(s, n, c, 0, 0, 0) + i];
    double mu = sum / (double)m;
    for (int n = 0; n < s.n; n++)
        for (size_t i = 0; i < sp; i++) {
            double d = x[at(s, n, c, 0, 0, 0) + i] - mu;
            sq += d * d;
        }
    *mean = mu;
    *var = sq / (double)m;
}

void nn_ref_bn_forward_train(nn_dims s, const float *x, const float *gamma, const float *beta,
                             float eps, float *y, float *mean, float *var)
{
    for (int c = 0; c < s.c; c++) {
        double mu, v;
        channel_stats(s, x, c, &mu, &v);
        mean[c] = (float)mu;
        var[c] = (float)v;
    }
    nn_ref_bn_forward_infer(s, x, gamma, beta, mean, var, eps, y);
}

void nn_ref_bn_forward_infer(nn_dims s, const float *x, const float *gamma, const float *beta,
                             const float *mean, const float *var, float eps, float *y)
{
    size_t sp = nn_spatial(s);
    for (int n = 0; n < s.n; n++)
        for (int c = 0; c < s.c; c++) {
            double inv = 1.0 / sqrt((double)var[c] + eps);
            for (size_t i = 0; i < sp; i++) {
                size_t j = at(s, n, c, 0, 0, 0) + i;
                y[j] = (float)(gamma[c] * ((x[j] - (double)mean[c]) * inv) + beta[c]);
            }
        }
}

void nn_ref_bn_backward(nn_dims s, const float *x, const float *dy, const float *gamma,
                        const float *mean, const float *var, float eps, float *dx, float *dgamma,
                        float *dbeta)
{
    size_t sp = nn_spatial(s);
    double m = (double)s.n * sp;
    /* channels are independent: threads change no result */
#pragma omp parallel for schedule(static)
    for (int c = 0; c < s.c; c++) {
        double inv = 1.0 / sqrt((double)var[c] + eps), sum_dy = 0, sum_dy_xhat = 0;
        for (int n = 0; n < s.n; n++)
            for (size_t i = 0; i < sp; i++) {
                size_t j = at(s, n, c, 0, 0, 0) + i;
                sum_dy += dy[j];
                sum_dy_xhat += dy[j] * ((x[j] - (double)mean[c]) * inv);
            }
        if (dgamma) dgamma[c] = (float)sum_dy_xhat;
        if (dbeta) dbeta[c] = (float)sum_dy;
        if (!dx) continue;
        /* dx = γ·inv/m · (m·dy − Σdy − x̂·Σ(dy·x̂)) */
        for (int n = 0; n < s.n; n++)
            for (size_t i = 0; i < sp; i++) {
                size_t j = at(s, n, c, 0, 0, 0) + i;
                double xhat = (x[j] - (double)mean[c]) * inv;
                dx[j] = (float)(gamma[c] * inv / m * (m * dy[j] - sum_dy - xhat * sum_dy_xhat));
            }
    }
}

void nn_ref_relu_forward(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0.0f;
}

void nn_ref_relu_backward(size_t n, const float *y, const float *dy, float *dx)
{
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0.0f;
}

void nn_ref_tanh_forward(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++) y[i] = (float)tanh((double)x[i]);
}

void nn_ref_tanh_backward(size_t n, const float *y, const float *dy, float *dx)
{
    for (size_t i = 0; i < n; i++) dx[i] = (float)(dy[i] * (1.0 - (double)y[i] * y[i]));
}

/* Visit each pooling window: the flat index of its first maximum in x, for output element j. */
static size_t argmax_of_window(nn_dims x, const int k[3], const float *xv, int n, int c, int od,
                               int oh, int ow)
{
    size_t best = at(x, n, c, od * k[0], oh * k[1], ow * k[2]);
    for (int a = 0; a < k[0]; a++)
        for (int b = 0; b < k[1]; b++)
            for (int e = 0; e < k[2]; e++) {
                size_t j = at(x, n, c, od * k[0] + a, oh * k[1] + b, ow * k[2] + e);
                if (xv[j] > xv[best]) best = j;
            }
    return best;
}

void nn_ref_maxpool_forward(nn_dims x, nn_dims y, const int k[3], const float *xv, float *yv)
{
    for (int n = 0; n < y.n; n++)
        for (int c = 0; c < y.c; c++)
            for (int od = 0; od < y.d; od++)
                for (int oh = 0; oh < y.h; oh++)
                    for (int ow = 0; ow < y.w; ow++)
                        yv[at(y, n, c, od, oh, ow)] = xv[argmax_of_window(x, k, xv, n, c, od, oh, ow)];
}

void nn_ref_maxpool_backward(nn_dims x, nn_dims y, const int k[3], const float *xv,
                             const float *dy, float *dx)
{
    memset(dx, 0, nn_numel(x) * sizeof *dx);
    for (int n = 0; n < y.n; n++)
        for (int c = 0; c < y.c; c++)
            for (int od = 0; od < y.d; od++)
                for (int oh = 0; oh < y.h; oh++)
                    for (int ow = 0; ow < y.w; ow++)
                        dx[argmax_of_window(x, k, xv, n, c, od, oh, ow)] += dy[at(y, n, c, od, oh, ow)];
}

void nn_ref_upsample_forward(nn_dims x, const int f[3], const float *xv, float *yv)
{
    nn_dims y = {x.n, x.c, x.d * f[0], x.h * f[1], x.w * f[2]};
    for (int n = 0; n < y.n; n++)
        for (int c = 0; c < y.c; c++)
            for (int d = 0; d < y.d; d++)
                for (int h = 0; h < y.h; h++)
                    for (int w = 0; w < y.w; w++)
                        yv[at(y, n, c, d, h, w)] = xv[at(x, n, c, d / f[0], h / f[1], w / f[2])];
}

void nn_ref_upsample_backward(nn_dims x, const int f[3], const float *dy, float *dx)
{
    nn_dims y = {x.n, x.c, x.d * f[0], x.h * f[1], x.w * f[2]};
    memset(dx, 0, nn_numel(x) * sizeof *dx);
    for (int n = 0; n < y.n; n++)
        for (int c = 0; c < y.c; c++)
            for (int d = 0; d < y.d; d++)
                for (int h = 0; h < y.h; h++)
                    for (int w = 0; w < y.w; w++)
                        dx[at(x, n, c, d / f[0], h / f[1], w / f[2])] += dy[at(y, n, c, d, h, w)];
}

void nn_ref_linear_forward(int batch, int in, int out, const float *x, const float *w,
                           const float *b, float *y)
{
    for (int n = 0; n < batch; n++)
        for (int o = 0; o < out; o++) {
            double acc = b ? b[o] : 0.0;
            for (int i = 0; i < in; i++) acc += (double)x[(size_t)n * in + i] * w[(size_t)o * in + i];
            y[(size_t)n * out + o] = (float)acc;
        }
}

void nn_ref_linear_backward(int batch, int in, int out, const float *x, const float *w,
                            const float *dy, float *dx, float *dw, float *db)
{
    if (dx)
        for (int n = 0; n < batch; n++)
            for (int i = 0; i < in; i++) {
                double acc = 0;
                for (int o = 0; o < out; o++) acc += (double)dy[(size_t)n * out + o] * w[(size_t)o * in + i];
                dx[(size_t)n * in + i] = (float)acc;
            }
    if (dw)
        for (int o = 0; o < out; o++)
            for (int i = 0; i < in; i++) {
                double acc = 0;
                for (int n = 0; n < batch; n++) acc += (double)dy[(size_t)n * out + o] * x[(size_t)n * in + i];
                dw[(size_t)o * in + i] = (float)acc;
            }
    if (db)
        for (int o = 0; o < out; o++) {
            double acc = 0;
            for (int n = 0; n < batch; n++) acc += dy[(size_t)n * out + o];
            db[o] = (float)acc;
        }
}
