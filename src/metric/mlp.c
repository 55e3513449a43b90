/**
 * @file mlp.c
 * @brief The triplet-loss MLP (see mlp.h).
 */
#include "metric/mlp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/rng.h"

void mlp_shape_init(mlp_shape *s, int C, int H1, int H2, int D)
{
    s->C = C, s->H1 = H1, s->H2 = H2, s->D = D;
    size_t o = 0;
    s->w1 = o, o += (size_t)C * H1;
    s->b1 = o, o += (size_t)H1;
    s->w2 = o, o += (size_t)H1 * H2;
    s->b2 = o, o += (size_t)H2;
    s->w3 = o, o += (size_t)H2 * D;
    s->b3 = o, o += (size_t)D;
    s->n = o;
}

#define STREAM_INIT 0x4d4c50494e4954ULL   /* "MLPINIT" */
#define STREAM_DROP 0x44524f50ULL         /* "DROP" */

void mlp_init(const mlp_shape *s, float *p, uint64_t seed)
{
    memset(p, 0, s->n * sizeof *p);
    const size_t off[3] = {s->w1, s->w2, s->w3};
    const int fin[3] = {s->C, s->H1, s->H2}, fout[3] = {s->H1, s->H2, s->D};
    for (int l = 0; l < 3; l++) {
        rng r;
        rng_seed(&r, seed, STREAM_INIT + (uint64_t)l);
        double sd = sqrt(2.0 / fin[l]);
        for (size_t i = 0; i < (size_t)fin[l] * fout[l]; i++) p[off[l] + i] = (float)(sd * rng_normal(&r));
    }
}

double mlp_l2(const mlp_shape *s, const float *p, double lambda, float *g)
{
    const size_t off[3] = {s->w1, s->w2, s->w3}, cnt[3] = {(size_t)s->C * s->H1, (size_t)s->H1 * s->H2, (size_t)s->H2 * s->D};
    double sum = 0;
    for (int l = 0; l < 3; l++)
        for (size_t i = 0; i < cnt[l]; i++) {
            double w = p[off[l] + i];
            sum += w * w;
            if (g) g[off[l] + i] += (float)(2.0 * lambda * w);
        }
    return lambda * sum;
}

void mlp_dropout_mask(uint64_t seed, int64_t step, int64_t sample, int layer, double P, int n, float *mask)
{
    if (P <= 0) {
        for (int i = 0; i < n; i++) mask[i] = 1.0f;
        return;
    }
    rng r;
    /* the stream id: (step, sample, layer) packed; a sample index < 2^24 per step, layers < 4 */
    uint64_t id = (((uint64_t)step << 26) | ((uint64_t)sample << 2) | (uint64_t)layer) ^ (STREAM_DROP << 48);
    rng_seed(&r, seed, id);
    const float keep = (float)(1.0 / (1.0 - P));
    /* four 16-bit uniforms per 64-bit draw: entry dropped when u < P (P resolved to 1/65536) */
    const uint32_t thr = (uint32_t)(P * 65536.0 + 0.5);
    for (int i = 0; i < n; i += 4) {
        uint64_t u = rng_u64(&r);
        for (int l = 0; l < 4 && i + l < n; l++, u >>= 16) mask[i + l] = (uint32_t)(u & 0xffff) < thr ? 0.0f : keep;
    }
}

void mlp_work_init(mlp_work *w, const mlp_shape *s, int cap)
{
    memset(w, 0, sizeof *w);
    w->cap = cap;
    size_t m = (size_t)cap;
    w->x0 = xmalloc(m * s->C * sizeof(float));
    w->h1 = xmalloc(m * s->H1 * sizeof(float));
    w->h2 = xmalloc(m * s->H2 * sizeof(float));
    w->out = xmalloc(m * s->D * sizeof(float));
    w->m1 = xmalloc(m * s->H1 * sizeof(float));
    w->m2 = xmalloc(m * s->H2 * sizeof(float));
    w->d1 = xmalloc(m * s->H1 * sizeof(float));
    w->d2 = xmalloc(m * s->H2 * sizeof(float));
    w->dout = xmalloc(m * s->D * sizeof(float));
}

void mlp_work_free(mlp_work *w)
{
    free(w->x0), free(w->h1), free(w->h2), free(w->out), free(w->m1), free(w->m2), free(w->d1), free(w->d2), free(w->dout);
    memset(w, 0, sizeof *w);
}

/* y (m, nout) = b + x (m, nin) W (nin, nout): for each output, the sum over inputs i = 0..nin-1 in
 * order. No branch on dropped (zero) inputs: a data-dependent branch at 50 % dropout mispredicts
 * half the time and cost more than the multiplications it saved. */
static void dense(int m, int nin, int nout, const float *restrict x, const float *restrict W, const float *restrict b,
                  float *restrict y)
{
    for (int k = 0; k < m; k++) memcpy(y + (size_t)k * nout, b, (size_t)nout * sizeof *y);
    for (int i = 0; i < nin; i++) {
        const float *wi = W + (size_t)i * nout;
        for (int k = 0; k < m; k++) {
            const float xi = x[(size_t)k * nin + i];
            float *yk = y + (size_t)k * nout;
            for (int j = 0; j < nout; j++) yk[j] += xi * wi[j];
        }
    }
}

void mlp_forward(const mlp_shape *s, const float *p, int m, const float *const *x, const float *mask0,
                 const float *mask1, const float *mask2, mlp_work *w)
{
    if (!(m <= w->cap)) synobs_fatal(__FILE__, __LINE__, "metric", "internal", "mlp_forward: %d samples, room for %d", m, w->cap);
    w->m = m;
    const int C = s->C, H1 = s->H1, H2 = s->H2;
    for (int k = 0; k < m; k++)
        for (int c = 0; c < C; c++) w->x0[(size_t)k * C + c] = mask0 ? x[k][c] * mask0[(size_t)k * C + c] : x[k][c];
    dense(m, C, H1, w->x0, p + s->w1, p + s->b1, w->h1);
    for (size_t i = 0; i < (size_t)m * H1; i++) {
        w->m1[i] = mask1 ? mask1[i] : 1.0f;
        w->h1[i] = w->h1[i] > 0 ? w->h1[i] * w->m1[i] : 0.0f;
    }
    dense(m, H1, H2, w->h1, p + s->w2, p + s->b2, w->h2);
    for (size_t i = 0; i < (size_t)m * H2; i++) {
        w->m2[i] = mask2 ? mask2[i] : 1.0f;
        w->h2[i] = w->h2[i] > 0 ? w->h2[i] * w->m2[i] : 0.0f;
    }
    dense(m, H2, s->D, w->h2, p + s->w3, p + s->b3, w->out);
}

/* gW (nin, nout) += sum_k x_k^T dy_k in order k; gb += sum_k dy_k; dx (m, nin) = dy W^T (if dx). */
static void dense_back(int m, int nin, int nout, const float *restrict x, const float *restrict W, const float *restrict dy,
                       float *restrict gW, float *restrict gb, float *restrict dx)
{
    for (int k = 0; k < m; k++)
        for (int j = 0; j < nout; j++) gb[j] += dy[(size_t)k * nout + j];
    for (int i = 0; i < nin; i++) {
        float *gi = gW + (size_t)i * nout;
        for (int k = 0; k < m; k++) {
            const float xi = x[(size_t)k * nin + i];
            const float *dk = dy + (size_t)k * nout;
            for (int j = 0; j < nout; j++) gi[j] += xi * dk[j];
        }
    }
    if (dx)
        for (int k = 0; k < m; k++)
            for (int i = 0; i < nin; i++) {
                const float *wi = W + (size_t)i * nout, *dk = dy + (size_t)k * nout;
                /* 8 fixed lanes, then the lanes in order: vectorisable and still one fixed order */
                float lane[8] = {0};
                int j = 0;
                for (; j + 8 <= nout; j += 8)
                    for (int l = 0; l < 8; l++) lane[l] += wi[j + l] * dk[j + l];
                for (int l = 0; j < nout; j++, l++) lane[l] += wi[j] * dk[j];
                dx[(size_t)k * nin + i] = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
            }
}

void mlp_backward(const mlp_shape *s, const float *p, mlp_work *w, float *g)
{
    const int m = w->m, H1 = s->H1, H2 = s->H2;
    dense_back(m, H2, s->D, w->h2, p + s->w3, w->dout, g + s->w3, g + s->b3, w->d2);
    /* through dropout and ReLU: h2 = relu(z) * mask, so dz = dh2 * mask where h2 > 0 */
    for (size_t i = 0; i < (size_t)m * H2; i++) w->d2[i] = w->h2[i] > 0 ? w->d2[i] * w->m2[i] : 0.0f;
    dense_back(m, H1, H2, w->h1, p + s->w2, w->d2, g + s->w2, g + s->b2, w->d1);
    for (size_t i = 0; i < (size_t)m * H1; i++) w->d1[i] = w->h1[i] > 0 ? w->d1[i] * w->m1[i] : 0.0f;
    dense_back(m, s->C, H1, w->x0, p + s->w1, w->d1, g + s->w1, g + s->b1, NULL);
}

void mlp_embed(const mlp_shape *s, const float *p, const float *rows, int64_t n, float *out)
{
    enum { B = 64 };
    mlp_work w;
    mlp_work_init(&w, s, B);
    const float *x[B];
    for (int64_t i = 0; i < n; i += B) {
        int m = n - i < B ? (int)(n - i) : B;
        for (int k = 0; k < m; k++) x[k] = rows + (size_t)(i + k) * s->C;
        mlp_forward(s, p, m, x, NULL, NULL, NULL, &w);
        memcpy(out + (size_t)i * s->D, w.out, (size_t)m * s->D * sizeof *out);
    }
    mlp_work_free(&w);
}

void mlp_tree_sum(float *buf, int leaves, size_t n)
{
    for (int stride = 1; stride < leaves; stride *= 2)
        for (int i = 0; i + stride < leaves; i += 2 * stride) {
            float *a = buf + (size_t)i * n;
            const float *b = buf + (size_t)(i + stride) * n;
            for (size_t j = 0; j < n; j++) a[j] += b[j];
        }
}
