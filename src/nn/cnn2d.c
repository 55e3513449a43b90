/**
 * @file cnn2d.c
 * @brief The 2-D layer DAG, its executor on the reference or oneDNN, and MobileNetV2 (see cnn2d.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "nn/cnn2d.h"

/* ---- activation buffers: a free list reused by size (avoids a fresh mmap per layer) ---- */

enum { POOL_MAX = 64 };
struct cnn2d_pool {
    int n;
    float *buf[POOL_MAX];
    size_t cap[POOL_MAX];
    bool used[POOL_MAX];
};

static float *pool_get(struct cnn2d_pool *p, size_t count)
{
    int best = -1, big = -1;
    for (int i = 0; i < p->n; i++) {
        if (p->used[i]) continue;
        if (p->cap[i] >= count && (best < 0 || p->cap[i] < p->cap[best])) best = i;
        if (big < 0 || p->cap[i] > p->cap[big]) big = i;
    }
    if (best < 0) {
        if (big >= 0 && p->n == POOL_MAX) best = big; /* grow the biggest free one */
        else {
            if (p->n == POOL_MAX) synobs_fatal(__FILE__, __LINE__, "cnn2d", NULL, "more than %d live activations", POOL_MAX);
            best = p->n++;
            p->buf[best] = NULL;
            p->cap[best] = 0;
        }
        free(p->buf[best]);
        p->buf[best] = xaligned64(count * sizeof(float));
        p->cap[best] = count;
    }
    p->used[best] = true;
    return p->buf[best];
}

static void pool_put(struct cnn2d_pool *p, const float *b)
{
    for (int i = 0; i < p->n; i++)
        if (p->buf[i] == b) p->used[i] = false;
}

static void pool_free(struct cnn2d_pool *p)
{
    for (int i = 0; i < p->n; i++) free(p->buf[i]);
    free(p);
}

/* ---- building ---- */

cnn2d_model *cnn2d_new(int h, int w, int c, int backend)
{
    cnn2d_model *m = xcalloc(1, sizeof *m);
    m->backend = backend;
    m->batch = 32;
    m->pool = xcalloc(1, sizeof *m->pool);
    if (backend == CNN2D_BACKEND_DNNL) {
        m->ctx = xmalloc(sizeof *m->ctx);
        nn_dnnl_ctx_init(m->ctx);
    }
    m->cap = 64;
    m->layers = xcalloc((size_t)m->cap, sizeof *m->layers);
    m->nlayers = 1;
    m->layers[0] = (cnn2d_layer){.name = "input", .op = CNN2D_INPUT, .h = h, .w = w, .c = c, .sum_into = -1};
    return m;
}

static cnn2d_layer *push(cnn2d_model *m, const char *name, cnn2d_op op, int nin, const int *in)
{
    if (m->nlayers == m->cap) {
        m->cap *= 2;
        m->layers = realloc(m->layers, (size_t)m->cap * sizeof *m->layers);
        ALLOC_CHECK(m->layers, (size_t)m->cap * sizeof *m->layers);
    }
    cnn2d_layer *l = &m->layers[m->nlayers++];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    l->op = op;
    l->nin = nin;
    l->sum_into = -1;
    for (int i = 0; i < nin; i++) {
        if (in[i] < 0 || in[i] >= m->nlayers - 1)
            synobs_fatal(__FILE__, __LINE__, "cnn2d", NULL, "layer %s: input %d is not an earlier layer", name, in[i]);
        l->in[i] = in[i];
    }
    return l;
}

static float *copy_of(const float *v, size_t n)
{
    if (!v) return NULL;
    float *c = xmalloc(n * sizeof *c);
    memcpy(c, v, n * sizeof *c);
    return c;
}

int cnn2d_add_conv(cnn2d_model *m, const char *name, int in, int kh, int kw, int sh, int sw, nn2d_pad pad,
                   int groups, int cout, const float *w, const float *b, nn2d_act act)
{
    cnn2d_layer *l = push(m, name, CNN2D_CONV, 1, &in);
    const cnn2d_layer *x = &m->layers[in];
    l->kh = kh, l->kw = kw, l->sh = sh, l->sw = sw, l->pad = pad, l->groups = groups, l->act = act;
    l->h = nn2d_out(x->h, kh, sh, pad.top, pad.bottom);
    l->w = nn2d_out(x->w, kw, sw, pad.left, pad.right);
    l->c = cout;
    l->wt = copy_of(w, (size_t)kh * kw * (x->c / groups) * cout);
    l->bias = copy_of(b, (size_t)cout);
    return m->nlayers - 1;
}

int cnn2d_add_zero_pad(cnn2d_model *m, const char *name, int in, nn2d_pad pad)
{
    cnn2d_layer *l = push(m, name, CNN2D_ZERO_PAD, 1, &in);
    const cnn2d_layer *x = &m->layers[in];
    l->pad = pad;
    l->h = x->h + pad.top + pad.bottom, l->w = x->w + pad.left + pad.right, l->c = x->c;
    return m->nlayers - 1;
}

int cnn2d_add_pool(cnn2d_model *m, const char *name, cnn2d_op op, int in, int kh, int kw, int sh, int sw,
                   nn2d_pad pad)
{
    cnn2d_layer *l = push(m, name, op, 1, &in);
    const cnn2d_layer *x = &m->layers[in];
    l->kh = kh, l->kw = kw, l->sh = sh, l->sw = sw, l->pad = pad;
    l->h = nn2d_out(x->h, kh, sh, pad.top, pad.bottom), l->w = nn2d_out(x->w, kw, sw, pad.left, pad.right);
    l->c = x->c;
    return m->nlayers - 1;
}

int cnn2d_add_gap(cnn2d_model *m, const char *name, int in)
{
    cnn2d_layer *l = push(m, name, CNN2D_GAPOOL, 1, &in);
    l->h = l->w = 1, l->c = m->layers[in].c;
    return m->nlayers - 1;
}

int cnn2d_add_add(cnn2d_model *m, const char *name, int a, int b, nn2d_act act)
{
    int in[2] = {a, b};
    const cnn2d_layer *x = &m->layers[a], *y = &m->layers[b];
    if (x->h != y->h || x->w != y->w || x->c != y->c)
        synobs_fatal(__FILE__, __LINE__, "cnn2d", NULL, "add %s: shapes %dx%dx%d and %dx%dx%d differ", name, x->h,
                     x->w, x->c, y->h, y->w, y->c);
    cnn2d_layer *l = push(m, name, CNN2D_ADD, 2, in);
    l->act = act;
    l->h = m->layers[a].h, l->w = m->layers[a].w, l->c = m->layers[a].c;
    return m->nlayers - 1;
}

int cnn2d_add_concat(cnn2d_model *m, const char *name, int nin, const int *in)
{
    cnn2d_layer *l = push(m, name, CNN2D_CONCAT, nin, in);
    l->h = m->layers[in[0]].h, l->w = m->layers[in[0]].w, l->c = 0;
    for (int i = 0; i < nin; i++) l->c += m->layers[in[i]].c;
    return m->nlayers - 1;
}

int cnn2d_add_dense(cnn2d_model *m, const char *name, int in, int out, const float *w, const float *b,
                    nn2d_act act)
{
    cnn2d_layer *l = push(m, name, CNN2D_DENSE, 1, &in);
    const cnn2d_layer *x = &m->layers[in];
    l->act = act;
    l->h = l->w = 1, l->c = out;
    l->wt = copy_of(w, (size_t)x->h * x->w * x->c * out);
    l->bias = copy_of(b, (size_t)out);
    return m->nlayers - 1;
}

int cnn2d_add_softmax(cnn2d_model *m, const char *name, int in)
{
    cnn2d_layer *l = push(m, name, CNN2D_SOFTMAX, 1, &in);
    l->h = l->w = 1, l->c = m->layers[in].h * m->layers[in].w * m->layers[in].c;
    return m->nlayers - 1;
}

int cnn2d_find(const cnn2d_model *m, const char *name)
{
    for (int i = 0; i < m->nlayers; i++)
        if (!strcmp(m->layers[i].name, name)) return i;
    return -1;
}

static size_t per_image(const cnn2d_layer *l) { return (size_t)l->h * l->w * l->c; }

/* ---- oneDNN ops ---- */

static nn2d_dnnl_op *make_op(cnn2d_model *m, int i, int n)
{
    const cnn2d_layer *l = &m->layers[i], *x = &m->layers[l->in[0]];
    switch (l->op) {
    case CNN2D_CONV: {
        nn2d_conv g = {n, x->h, x->w, x->c, l->kh, l->kw, l->sh, l->sw, l->pad, l->groups, l->c};
        return nn2d_dnnl_conv_make(m->ctx, &g, l->wt, l->bias, l->act, l->sum_into >= 0);
    }
    case CNN2D_ZERO_PAD: return nn2d_dnnl_zero_pad_make(m->ctx, n, x->h, x->w, x->c, l->pad);
    case CNN2D_MAXPOOL:
    case CNN2D_AVGPOOL: {
        nn2d_pool g = {n, x->h, x->w, x->c, l->kh, l->kw, l->sh, l->sw, l->pad};
        return l->op == CNN2D_MAXPOOL ? nn2d_dnnl_maxpool_make(m->ctx, &g) : nn2d_dnnl_avgpool_make(m->ctx, &g);
    }
    case CNN2D_GAPOOL: return nn2d_dnnl_gap_make(m->ctx, n, x->h, x->w, x->c);
    case CNN2D_ADD: return l->fused ? NULL : nn2d_dnnl_add_make(m->ctx, (size_t)n * per_image(l), l->act);
    case CNN2D_CONCAT: {
        int c[CNN2D_MAX_IN];
        for (int k = 0; k < l->nin; k++) c[k] = m->layers[l->in[k]].c;
        return nn2d_dnnl_concat_make(m->ctx, (size_t)n * l->h * l->w, l->nin, c);
    }
    case CNN2D_DENSE: return nn2d_dnnl_dense_make(m->ctx, n, (int)per_image(x), l->c, l->wt, l->bias, l->act);
    case CNN2D_SOFTMAX: return nn2d_dnnl_softmax_make(m->ctx, n, l->c);
    case CNN2D_INPUT: break;
    }
    return NULL;
}

static void free_ops(cnn2d_model *m, int set)
{
    for (int i = 0; i < m->nlayers; i++) {
        nn2d_dnnl_op_free(m->layers[i].impl[set]);
        m->layers[i].impl[set] = NULL;
    }
    m->impl_batch[set] = 0;
}

static void make_ops(cnn2d_model *m, int set, int n)
{
    free_ops(m, set);
    for (int i = 1; i < m->nlayers; i++) m->layers[i].impl[set] = make_op(m, i, n);
    m->impl_batch[set] = n;
}

/* The ops set for batch n: 0 for the model's batch, 1 for any other (remade when n changes). */
static int ops_for(cnn2d_model *m, int n)
{
    if (m->impl_batch[0] == n) return 0;
    if (m->impl_batch[1] != n) make_ops(m, 1, n);
    return 1;
}

void cnn2d_finish(cnn2d_model *m)
{
    int out = m->nlayers - 1;
    for (int i = 0; i < m->nlayers; i++) m->layers[i].last_use = i == out ? m->nlayers : i;
    for (int i = 1; i < m->nlayers; i++)
        for (int k = 0; k < m->layers[i].nin; k++) m->layers[m->layers[i].in[k]].last_use = i;
    if (m->backend == CNN2D_BACKEND_DNNL) {
        /* A conv read only by an Add (and not the output) accumulates into the Add's output. */
        int readers[m->nlayers];
        memset(readers, 0, sizeof readers);
        for (int i = 1; i < m->nlayers; i++)
            for (int k = 0; k < m->layers[i].nin; k++) readers[m->layers[i].in[k]]++;
        for (int i = 1; i < m->nlayers; i++) {
            cnn2d_layer *a = &m->layers[i];
            if (a->op != CNN2D_ADD || a->act != NN2D_ACT_NONE) continue;
            for (int k = 0; k < 2; k++) {
                cnn2d_layer *cv = &m->layers[a->in[k]];
                if (cv->op != CNN2D_CONV || readers[a->in[k]] != 1 || a->in[k] == out || a->in[0] == a->in[1]) continue;
                cv->sum_into = i;
                a->fused = true;
                break;
            }
        }
        make_ops(m, 0, m->batch);
    }
}

void cnn2d_set_batch(cnn2d_model *m, int batch)
{
    m->batch = batch;
    if (m->backend == CNN2D_BACKEND_DNNL) {
        free_ops(m, 1);
        make_ops(m, 0, batch);
    }
}

void cnn2d_free(cnn2d_model *m)
{
    if (!m) return;
    for (int i = 0; i < m->nlayers; i++) {
        free(m->layers[i].wt);
        free(m->layers[i].bias);
    }
    if (m->ctx) {
        free_ops(m, 0);
        free_ops(m, 1);
        nn_dnnl_ctx_free(m->ctx);
        free(m->ctx);
    }
    pool_free(m->pool);
    free(m->layers);
    free(m);
}

/* ---- running ---- */

void cnn2d_tap_shape(const cnn2d_model *m, int *h, int *w, int *c)
{
    const cnn2d_layer *l = &m->layers[m->nlayers - 1];
    *h = l->h, *w = l->w, *c = l->c;
}

static void run_ref(const cnn2d_model *m, int i, int n, float *const *buf, float *y)
{
    const cnn2d_layer *l = &m->layers[i], *x = &m->layers[l->in[0]];
    const float *xv = buf[l->in[0]];
    switch (l->op) {
    case CNN2D_CONV: {
        nn2d_conv g = {n, x->h, x->w, x->c, l->kh, l->kw, l->sh, l->sw, l->pad, l->groups, l->c};
        nn2d_ref_conv(&g, xv, l->wt, l->bias, l->act, y);
        break;
    }
    case CNN2D_ZERO_PAD: nn2d_ref_zero_pad(n, x->h, x->w, x->c, l->pad, xv, y); break;
    case CNN2D_MAXPOOL:
    case CNN2D_AVGPOOL: {
        nn2d_pool g = {n, x->h, x->w, x->c, l->kh, l->kw, l->sh, l->sw, l->pad};
        if (l->op == CNN2D_MAXPOOL) nn2d_ref_maxpool(&g, xv, y);
        else nn2d_ref_avgpool(&g, xv, y);
        break;
    }
    case CNN2D_GAPOOL: nn2d_ref_gap(n, x->h, x->w, x->c, xv, y); break;
    case CNN2D_ADD: nn2d_ref_add((size_t)n * per_image(l), xv, buf[l->in[1]], l->act, y); break;
    case CNN2D_CONCAT: {
        int c[CNN2D_MAX_IN];
        const float *xs[CNN2D_MAX_IN];
        for (int k = 0; k < l->nin; k++) c[k] = m->layers[l->in[k]].c, xs[k] = buf[l->in[k]];
        nn2d_ref_concat((size_t)n * l->h * l->w, l->nin, c, xs, y);
        break;
    }
    case CNN2D_DENSE: nn2d_ref_dense(n, (int)per_image(x), l->c, xv, l->wt, l->bias, l->act, y); break;
    case CNN2D_SOFTMAX: nn2d_ref_softmax(n, l->c, xv, y); break;
    case CNN2D_INPUT: break;
    }
}

/* One chunk of n images: x (n, h, w, c) in, the output layer's (n, th, tw, tc) into y. */
static void forward_chunk(cnn2d_model *m, int n, const float *x, float *y)
{
    int set = m->backend == CNN2D_BACKEND_DNNL ? ops_for(m, n) : 0, out = m->nlayers - 1;
    float *buf[m->nlayers];
    memset(buf, 0, sizeof buf);
    buf[0] = (float *)x;
    for (int i = 1; i < m->nlayers; i++) {
        cnn2d_layer *l = &m->layers[i];
        if (l->fused) continue; /* computed by its conv */
        size_t count = (size_t)n * per_image(l);
        if (m->backend == CNN2D_BACKEND_REF) {
            buf[i] = i == out ? y : pool_get(m->pool, count);
            run_ref(m, i, n, buf, buf[i]);
        } else if (l->sum_into >= 0) {
            /* y_add = conv(x) + b + other: the other addend first, then the conv with a sum post-op */
            const cnn2d_layer *a = &m->layers[l->sum_into];
            int other = a->in[0] == i ? a->in[1] : a->in[0];
            float *dst = l->sum_into == out ? y : pool_get(m->pool, count);
            memcpy(dst, buf[other], count * sizeof *dst);
            const float *xs[1] = {buf[l->in[0]]};
            nn2d_dnnl_run(m->ctx, l->impl[set], xs, dst);
            buf[l->sum_into] = dst;
        } else {
            buf[i] = i == out ? y : pool_get(m->pool, count);
            const float *xs[CNN2D_MAX_IN];
            for (int k = 0; k < l->nin; k++) xs[k] = buf[l->in[k]];
            nn2d_dnnl_run(m->ctx, l->impl[set], xs, buf[i]);
        }
        /* release the inputs read for the last time (and a fused Add's inputs at the Add) */
        int at = l->sum_into >= 0 ? l->sum_into : i;
        const cnn2d_layer *r = &m->layers[at];
        for (int k = 0; k < r->nin; k++) {
            int j = r->in[k];
            if (j != 0 && j != out && buf[j] && m->layers[j].last_use <= at) {
                pool_put(m->pool, buf[j]);
                buf[j] = NULL;
            }
        }
        if (r != l)
            for (int k = 0; k < l->nin; k++) {
                int j = l->in[k];
                if (j != 0 && buf[j] && m->layers[j].last_use <= i) {
                    pool_put(m->pool, buf[j]);
                    buf[j] = NULL;
                }
            }
    }
}

void cnn2d_forward(cnn2d_model *m, int n, const float *x, float *y)
{
    const cnn2d_layer *in = &m->layers[0], *out = &m->layers[m->nlayers - 1];
    for (int s = 0; s < n; s += m->batch) {
        int b = n - s < m->batch ? n - s : m->batch;
        forward_chunk(m, b, x + (size_t)s * per_image(in), y + (size_t)s * per_image(out));
    }
}

void cnn2d_features(cnn2d_model *m, int n, const float *x, cnn2d_mode mode, float *out)
{
    const cnn2d_layer *in = &m->layers[0], *t = &m->layers[m->nlayers - 1];
    if (mode == CNN2D_FLATTEN) {
        cnn2d_forward(m, n, x, out);
        return;
    }
    float *map = xaligned64((size_t)(n < m->batch ? n : m->batch) * per_image(t) * sizeof *map);
    for (int s = 0; s < n; s += m->batch) {
        int b = n - s < m->batch ? n - s : m->batch;
        forward_chunk(m, b, x + (size_t)s * per_image(in), map);
        nn2d_ref_gap(b, t->h, t->w, t->c, map, out + (size_t)s * t->c); /* 1e-4 of the work: in double */
    }
    free(map);
}

/* ---- MobileNetV2 ---- */

typedef struct {
    cnn2d_model *m;
    const kh5_weights *w;
    const char *tap;
    bool done;
    int err;
} mnv2;

static const kh5_layer *layer_named(const kh5_weights *w, const char *name)
{
    for (int i = 0; i < w->nlayers; i++)
        if (!strcmp(w->layers[i].name, name)) return &w->layers[i];
    return NULL;
}

/* The k tensors of layer `name`, shapes checked against want[k] (ndim[k] axes). */
static int tensors(mnv2 *b, const char *name, int k, const int *ndim, int64_t want[][4], const float **out)
{
    const kh5_layer *l = layer_named(b->w, name);
    if (!l) return error_set("mobilenet_v2: layer %s: not in the weights file", name);
    if (l->ntensors != k)
        return error_set("mobilenet_v2: layer %s: %d weight tensors, expected %d", name, l->ntensors, k);
    for (int i = 0; i < k; i++) {
        const kh5_tensor *t = &l->t[i];
        bool ok = t->ndim == ndim[i];
        for (int a = 0; ok && a < ndim[i]; a++) ok = t->shape[a] == want[i][a];
        if (!ok) {
            char got[64] = "", exp[64] = "";
            for (int a = 0; a < t->ndim && a < 4; a++)
                snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", a ? "," : "", (long long)t->shape[a]);
            for (int a = 0; a < ndim[i]; a++)
                snprintf(exp + strlen(exp), sizeof exp - strlen(exp), "%s%lld", a ? "," : "", (long long)want[i][a]);
            return error_set("mobilenet_v2: layer %s: weight %s: shape [%s], expected [%s]", name, t->name, got, exp);
        }
        out[i] = t->data;
    }
    return 0;
}

static bool is_tap(const mnv2 *b, const char *name) { return b->tap && !strcmp(b->tap, name); }

/*
 * [pad] conv/depthwise (no bias) + BN [+ ReLU6], named after the last layer built; stops at the tap.
 * pad: a Keras ZeroPadding2D [[0,1],[0,1]] (then the conv is `valid`), else TF SAME.
 */
static int conv_bn(mnv2 *b, int in, const char *pad_name, const char *conv, const char *bn, const char *relu,
                   int k, int s, bool depthwise, int cout)
{
    if (b->err || b->done) return in;
    cnn2d_model *m = b->m;
    const cnn2d_layer *x = &m->layers[in];
    nn2d_pad pad = nn2d_pad_same(x->h, x->w, k, k, s, s);
    if (pad_name) {
        pad = (nn2d_pad){0, 1, 0, 1};
        if (is_tap(b, pad_name)) {
            b->done = true;
            return cnn2d_add_zero_pad(m, pad_name, in, pad);
        }
    }
    if (depthwise) cout = x->c;
    int cin_g = depthwise ? 1 : x->c;
    const float *kw[1] = {NULL}, *bnw[4] = {NULL};
    int nd1[1] = {4}, nd4[4] = {1, 1, 1, 1};
    int64_t wk[1][4] = {{k, k, depthwise ? x->c : x->c, depthwise ? 1 : cout}};
    int64_t wb[4][4] = {{cout}, {cout}, {cout}, {cout}};
    if (tensors(b, conv, 1, nd1, wk, kw) || tensors(b, bn, 4, nd4, wb, bnw)) {
        b->err = -1;
        return in;
    }
    if (is_tap(b, conv)) {
        b->done = true;
        return cnn2d_add_conv(m, conv, in, k, k, s, s, pad, depthwise ? x->c : 1, cout, kw[0], NULL, NN2D_ACT_NONE);
    }
    size_t nw = (size_t)k * k * cin_g * cout;
    float *w = xmalloc(nw * sizeof *w), *bias = xcalloc((size_t)cout, sizeof *bias);
    memcpy(w, kw[0], nw * sizeof *w);
    nn2d_fold_bn(k, k, cin_g, cout, w, bias, bnw[0], bnw[1], bnw[2], bnw[3], 1e-3);
    bool stop_bn = !relu || is_tap(b, bn);
    int i = cnn2d_add_conv(m, stop_bn ? bn : relu, in, k, k, s, s, pad, depthwise ? x->c : 1, cout, w, bias,
                           stop_bn ? NN2D_ACT_NONE : NN2D_ACT_RELU6);
    free(w);
    free(bias);
    if (is_tap(b, stop_bn ? bn : relu)) b->done = true;
    return i;
}

static int inverted_residual(mnv2 *b, int in, int block, int expansion, int stride, int cout)
{
    char pre[32], n1[64], n2[64], n3[64], pad[64];
    if (block == 0) snprintf(pre, sizeof pre, "expanded_conv_");
    else snprintf(pre, sizeof pre, "block_%d_", block);
    int cin = b->m->layers[in].c, x = in;
    if (expansion != 1) {
        snprintf(n1, sizeof n1, "%sexpand", pre);
        snprintf(n2, sizeof n2, "%sexpand_BN", pre);
        snprintf(n3, sizeof n3, "%sexpand_relu", pre);
        x = conv_bn(b, x, NULL, n1, n2, n3, 1, 1, false, cin * expansion);
    }
    snprintf(pad, sizeof pad, "%spad", pre);
    snprintf(n1, sizeof n1, "%sdepthwise", pre);
    snprintf(n2, sizeof n2, "%sdepthwise_BN", pre);
    snprintf(n3, sizeof n3, "%sdepthwise_relu", pre);
    x = conv_bn(b, x, stride == 2 ? pad : NULL, n1, n2, n3, 3, stride, true, 0);
    snprintf(n1, sizeof n1, "%sproject", pre);
    snprintf(n2, sizeof n2, "%sproject_BN", pre);
    x = conv_bn(b, x, NULL, n1, n2, NULL, 1, 1, false, cout);
    if (cin == cout && stride == 1 && !b->err && !b->done) {
        snprintf(n1, sizeof n1, "%sadd", pre);
        x = cnn2d_add_add(b->m, n1, in, x, NN2D_ACT_NONE);
        if (is_tap(b, n1)) b->done = true;
    }
    return x;
}

cnn2d_model *cnn2d_mobilenet_v2(const kh5_weights *w, int in_h, int in_w, const char *tap, int backend)
{
    if (!tap) tap = "out_relu";
    mnv2 b = {cnn2d_new(in_h, in_w, 3, backend), w, tap, false, 0};
    int x = conv_bn(&b, 0, "Conv1_pad", "Conv1", "bn_Conv1", "Conv1_relu", 3, 2, false, 32);
    x = inverted_residual(&b, x, 0, 1, 1, 16);
    /* (expansion t, channels c, repeats n, first stride s) of Keras' MobileNetV2 */
    static const int cfg[6][4] = {{6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    int block = 1;
    for (int g = 0; g < 6; g++)
        for (int r = 0; r < cfg[g][2]; r++) x = inverted_residual(&b, x, block++, cfg[g][0], r ? 1 : cfg[g][3], cfg[g][1]);
    conv_bn(&b, x, NULL, "Conv_1", "Conv_1_bn", "out_relu", 1, 1, false, 1280);
    if (!b.err && !b.done) b.err = error_set("mobilenet_v2: no layer named \"%s\" up to out_relu", tap);
    if (b.err) {
        cnn2d_free(b.m);
        return NULL;
    }
    cnn2d_finish(b.m);
    return b.m;
}
