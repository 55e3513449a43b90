/**
 * @file ops_dnnl.c
 * @brief The CPU backend: the numerical layers on oneDNN (v2 C API), with own kernels where
 * oneDNN 2.6 is slow or inexact on plain layouts (BatchNorm statistics, max pooling, the stem
 * convolution, upsampling; see the files named where they are called), and the fully connected
 * layer on OpenBLAS.
 *
 * Primitives are made once per node and batch size (on first use) and kept until the batch size
 * changes. Tensors stay in the plain NCDHW layout between layers: the graph's memory ops, the
 * loss and the tests read them directly. Convolutions run in the blocked layouts oneDNN chooses,
 * with their arguments reordered on the way in and out (nn/dnnl_layout.h); inference weights are
 * packed once.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>

#include "core/check.h"
#include "nn/bn_stats.h"
#include "nn/conv_direct.h"
#include "nn/dnnl_layout.h"
#include "nn/graph.h"
#include "nn/linear_blas.h"
#include "nn/maxpool.h"
#include "nn/upsample.h"
#include "nn/ops.h"

/* Per node: forward primitives (training / inference), backward ones, and the max-pool workspace. */
typedef struct {
    dnnl_primitive_desc_t fwd_pd;
    dnnl_primitive_t fwd, infer, bwd_data, bwd_weights;       /* BatchNorm, eltwise, linear */
    nn_dnnl_prim conv_fwd, conv_bwd_data, conv_bwd_weights;  /* conv, in oneDNN's chosen layouts */
    nn_dnnl_prim fused;       /* conv: inference with its BatchNorm folded in (and ReLU as a post-op) */
    bool fused_relu;
    float *folded;            /* conv: its weights, then bias, with the BatchNorm folded in */
    void *packed;             /* conv: the folded weights in the fused primitive's layout */
    void *workspace;
} dnnl_node;

void nn_dnnl_engine_init(nn_graph *g)
{
    nn_dnnl_ctx *st = xmalloc(sizeof *st);
    nn_dnnl_ctx_init(st);
    nn_blas_single_threaded();
    g->engine = st;
}

void nn_dnnl_engine_free(nn_graph *g)
{
    nn_dnnl_ctx *st = g->engine;
    if (!st) return;
    nn_dnnl_ctx_free(st);
    free(st);
    g->engine = NULL;
}

void nn_dnnl_node_release(nn_node *n)
{
    dnnl_node *d = n->impl;
    if (!d) return;
    if (d->fwd) dnnl_primitive_destroy(d->fwd);
    if (d->infer) dnnl_primitive_destroy(d->infer);
    if (d->bwd_data) dnnl_primitive_destroy(d->bwd_data);
    if (d->bwd_weights) dnnl_primitive_destroy(d->bwd_weights);
    nn_dnnl_prim_free(&d->conv_fwd);
    nn_dnnl_prim_free(&d->conv_bwd_data);
    nn_dnnl_prim_free(&d->conv_bwd_weights);
    nn_dnnl_prim_free(&d->fused);
    free(d->folded);
    free(d->packed);
    if (d->fwd_pd) dnnl_primitive_desc_destroy(d->fwd_pd);
    free(d->workspace);
    free(d);
    n->impl = NULL;
}

/* ---- descriptors ---- */

static dnnl_memory_desc_t md_plain(int ndims, const dnnl_dims_t dims)
{
    static const dnnl_format_tag_t tag[] = {dnnl_format_tag_undef, dnnl_a, dnnl_ab, dnnl_abc,
                                            dnnl_abcd, dnnl_abcde};
    dnnl_memory_desc_t md;
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&md, ndims, dims, dnnl_f32, tag[ndims]));
    return md;
}

/* (B, C, D, H, W) activations. */
static dnnl_memory_desc_t md_act(int batch, nn_dims s)
{
    dnnl_dims_t dims = {batch, s.c, s.d, s.h, s.w};
    return md_plain(5, dims);
}

static dnnl_memory_desc_t md_vec(int n)
{
    dnnl_dims_t dims = {n};
    return md_plain(1, dims);
}

static void execute(const nn_graph *g, dnnl_primitive_t p, int nargs, const nn_dnnl_marg *a)
{
    nn_dnnl_execute(g->engine, p, nargs, a);
}

static dnnl_primitive_t make(const void *desc, const nn_graph *g, dnnl_primitive_desc_t hint,
                             dnnl_primitive_desc_t *keep_pd)
{
    const nn_dnnl_ctx *st = g->engine;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t p;
    DNNL_CHECK(dnnl_primitive_desc_create(&pd, desc, NULL, st->engine, hint));
    DNNL_CHECK(dnnl_primitive_create(&p, pd));
    if (keep_pd) *keep_pd = pd;
    else dnnl_primitive_desc_destroy(pd);
    return p;
}

static dnnl_node *impl_of(nn_node *n)
{
    if (!n->impl) n->impl = xcalloc(1, sizeof(dnnl_node));
    return n->impl;
}

/* Right padding that makes oneDNN's output extent equal ours (floor division). */
static void conv_padding(const nn_node *n, nn_dims x, dnnl_dims_t strides, dnnl_dims_t kernel,
                         dnnl_dims_t pl, dnnl_dims_t pr)
{
    int in[3] = {x.d, x.h, x.w}, out[3] = {n->out.d, n->out.h, n->out.w};
    for (int a = 0; a < 3; a++) {
        strides[a] = n->s[a];
        kernel[a] = n->k[a];
        pl[a] = n->p[a];
        pr[a] = (dnnl_dim_t)(out[a] - 1) * strides[a] + kernel[a] - in[a] - pl[a];
    }
}

/* A conv node's memory descriptors and geometry: the plain layouts the graph keeps, and `any`
 * layouts (the same shapes) that let oneDNN choose its blocked kernels. */
typedef struct {
    dnnl_memory_desc_t src, wei, bias, dst;
    dnnl_memory_desc_t src_any, wei_any, dst_any;
    dnnl_dims_t s, k, pl, pr;
} conv_geom;

static dnnl_memory_desc_t md_any(const dnnl_memory_desc_t *plain)
{
    dnnl_memory_desc_t md;
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&md, plain->ndims, plain->dims, dnnl_f32, dnnl_format_tag_any));
    return md;
}

static conv_geom conv_geom_of(const nn_graph *g, const nn_node *n)
{
    const nn_node *in = &g->nodes[n->in[0]];
    dnnl_dims_t wd = {n->out.c, in->out.c, n->k[0], n->k[1], n->k[2]};
    conv_geom c = {.src = md_act(g->batch, in->out), .wei = md_plain(5, wd), .bias = md_vec(n->out.c),
                   .dst = md_act(g->batch, n->out)};
    c.src_any = md_any(&c.src);
    c.wei_any = md_any(&c.wei);
    c.dst_any = md_any(&c.dst);
    conv_padding(n, in->out, c.s, c.k, c.pl, c.pr);
    return c;
}

static void conv_forward_desc(const conv_geom *c, dnnl_prop_kind_t prop, dnnl_convolution_desc_t *cd)
{
    DNNL_CHECK(dnnl_convolution_forward_desc_init(cd, prop, dnnl_convolution_direct, &c->src_any, &c->wei_any,
                                                  &c->bias, &c->dst_any, c->s, c->pl, c->pr));
}

/* The forward's arguments, in the order the callers pass their pointers. */
static void conv_forward_args(const conv_geom *c, nn_dnnl_argspec a[4])
{
    a[0] = (nn_dnnl_argspec){DNNL_ARG_SRC, false, c->src};
    a[1] = (nn_dnnl_argspec){DNNL_ARG_WEIGHTS, false, c->wei};
    a[2] = (nn_dnnl_argspec){DNNL_ARG_BIAS, false, c->bias};
    a[3] = (nn_dnnl_argspec){DNNL_ARG_DST, true, c->dst};
}

/* The direct kernel (nn/conv_direct.h) where it applies: true when it ran. */
static bool conv_direct(const nn_graph *g, const nn_node *n, const float *w, const float *b, bool relu, float *y)
{
    const nn_node *in = &g->nodes[n->in[0]];
    if (!nn_conv_direct_applies(in->out.c, n->k, n->s, n->p)) return false;
    nn_dims x = in->out;
    x.n = g->batch;
    nn_conv_direct_forward(x, n->out.c, n->k, in->y, w, b, relu, y);
    return true;
}

/* ---- forward ---- */

static void conv_forward(nn_graph *g, nn_node *n)
{
    nn_dnnl_ctx *st = g->engine;
    dnnl_node *d = impl_of(n);
    const nn_node *in = &g->nodes[n->in[0]];
    float *w = g->params + g->tensors[n->weight].offset, *b = g->params + g->tensors[n->bias].offset;
    if (!d->conv_fwd.prim) {
        const conv_geom c = conv_geom_of(g, n);
        dnnl_convolution_desc_t cd;
        conv_forward_desc(&c, dnnl_forward_training, &cd);
        DNNL_CHECK(dnnl_primitive_desc_create(&d->fwd_pd, &cd, NULL, st->engine, NULL)); /* the backward's hint */
        nn_dnnl_argspec a[4];
        conv_forward_args(&c, a);
        nn_dnnl_prim_make(st, &d->conv_fwd, d->fwd_pd, 4, a);
    }
    if (conv_direct(g, n, w, b, false, n->y)) return;
    void *ptr[] = {in->y, w, b, n->y};
    nn_dnnl_prim_run(st, &d->conv_fwd, ptr);
}

/*
 * Inference of conv -> BatchNorm (-> ReLU) as one convolution: with s = γ / sqrt(running var + ε),
 * the weights become w·s and the bias (b − running mean)·s + β per output channel, and the ReLU a
 * post-op. Two passes over the activations fewer per layer; the result differs from the unfused
 * layers by rounding only. nn_dnnl_fold makes the folded weights (a snapshot of the parameters and
 * running statistics, see nn_graph_fold_bn); nn_dnnl_conv_bn_infer runs with them, packed once
 * into the primitive's weight layout.
 */
void nn_dnnl_fold(nn_graph *g, nn_node *conv, const nn_node *bn)
{
    dnnl_node *d = impl_of(conv);
    const nn_tensor *tw = &g->tensors[conv->weight];
    size_t per_out = tw->count / (size_t)conv->out.c;
    if (!d->folded) d->folded = xmalloc((tw->count + (size_t)conv->out.c) * sizeof *d->folded);
    const float *w = g->params + tw->offset, *b = g->params + g->tensors[conv->bias].offset;
    const float *gamma = g->params + g->tensors[bn->weight].offset, *beta = g->params + g->tensors[bn->bias].offset;
    const float *rm = g->buffers + bn->running, *rv = rm + bn->out.c;
    float *fw = d->folded, *fb = d->folded + tw->count;
    for (int o = 0; o < conv->out.c; o++) {
        double sc = gamma[o] / sqrt((double)rv[o] + g->bn_eps);
        for (size_t j = 0; j < per_out; j++) fw[(size_t)o * per_out + j] = (float)(w[(size_t)o * per_out + j] * sc);
        fb[o] = (float)(((double)b[o] - rm[o]) * sc + beta[o]);
    }
    nn_dnnl_prim_free(&d->fused); /* its packed weights are stale */
}

static void make_fused(nn_graph *g, nn_node *conv, bool relu)
{
    nn_dnnl_ctx *st = g->engine;
    dnnl_node *d = impl_of(conv);
    const conv_geom c = conv_geom_of(g, conv);
    dnnl_convolution_desc_t cd;
    conv_forward_desc(&c, dnnl_forward_inference, &cd);
    dnnl_primitive_attr_t attr;
    DNNL_CHECK(dnnl_primitive_attr_create(&attr));
    if (relu) {
        dnnl_post_ops_t po;
        DNNL_CHECK(dnnl_post_ops_create(&po));
        DNNL_CHECK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f));
        DNNL_CHECK(dnnl_primitive_attr_set_post_ops(attr, po));
        dnnl_post_ops_destroy(po);
    }
    dnnl_primitive_desc_t pd;
    DNNL_CHECK(dnnl_primitive_desc_create(&pd, &cd, attr, st->engine, NULL));
    nn_dnnl_argspec a[4];
    conv_forward_args(&c, a);
    nn_dnnl_prim_make(st, &d->fused, pd, 4, a);
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    free(d->packed);
    d->packed = xaligned64(nn_dnnl_prim_packed_bytes(&d->fused, 1));
    nn_dnnl_prim_pack(st, &d->fused, 1, d->folded, d->packed);
    d->fused_relu = relu;
}

void nn_dnnl_conv_bn_infer(nn_graph *g, nn_node *conv, nn_node *last, bool relu)
{
    dnnl_node *d = impl_of(conv);
    const nn_node *in = &g->nodes[conv->in[0]];
    size_t nw = g->tensors[conv->weight].count;
    if (conv_direct(g, conv, d->folded, d->folded + nw, relu, last->y)) return;
    if (d->fused.prim && d->fused_relu != relu) nn_dnnl_prim_free(&d->fused);
    if (!d->fused.prim) make_fused(g, conv, relu);
    void *ptr[] = {in->y, d->packed, d->folded + nw, last->y};
    nn_dnnl_prim_run(g->engine, &d->fused, ptr);
}

/* Training mode normalises with batch statistics summed in double (nn/bn_stats.h) through the
 * global-statistics primitive, the one inference uses; the training descriptor is kept only as the
 * backward primitive's hint. */
static void bn_forward(nn_graph *g, nn_node *n, bool training)
{
    dnnl_node *d = impl_of(n);
    const nn_node *in = &g->nodes[n->in[0]];
    dnnl_memory_desc_t data = md_act(g->batch, n->out), vec = md_vec(n->out.c);
    const float *gamma = g->params + g->tensors[n->weight].offset;
    const float *beta = g->params + g->tensors[n->bias].offset;
    const unsigned flags = dnnl_use_scale | dnnl_use_shift;
    if (!d->infer) {
        dnnl_batch_normalization_desc_t bd;
        DNNL_CHECK(dnnl_batch_normalization_forward_desc_init(&bd, dnnl_forward_inference, &data, g->bn_eps,
                                                              flags | dnnl_use_global_stats));
        d->infer = make(&bd, g, NULL, NULL);
    }
    const float *mean, *var;
    if (training) {
        if (!d->fwd_pd) {
            dnnl_batch_normalization_desc_t bd;
            DNNL_CHECK(dnnl_batch_normalization_forward_desc_init(&bd, dnnl_forward_training, &data, g->bn_eps, flags));
            DNNL_CHECK(dnnl_primitive_desc_create(&d->fwd_pd, &bd, NULL, ((const nn_dnnl_ctx *)g->engine)->engine, NULL));
        }
        nn_dims s = n->out;
        s.n = g->batch;
        nn_bn_batch_stats(s, in->y, n->mean, n->var);
        mean = n->mean;
        var = n->var;
    } else {
        mean = g->buffers + n->running;
        var = mean + n->out.c;
    }
    nn_dnnl_marg a[] = {{DNNL_ARG_SRC, &data, in->y}, {DNNL_ARG_DST, &data, n->y},
                {DNNL_ARG_SCALE, &vec, gamma}, {DNNL_ARG_SHIFT, &vec, beta},
                {DNNL_ARG_MEAN, &vec, mean},  {DNNL_ARG_VARIANCE, &vec, var}};
    execute(g, d->infer, 6, a);
}

static dnnl_alg_kind_t eltwise_alg(const nn_node *n)
{
    return n->op == NN_RELU ? dnnl_eltwise_relu_use_dst_for_bwd : dnnl_eltwise_tanh_use_dst_for_bwd;
}

static void eltwise_forward(nn_graph *g, nn_node *n)
{
    dnnl_node *d = impl_of(n);
    const nn_node *in = &g->nodes[n->in[0]];
    dnnl_memory_desc_t data = md_act(g->batch, n->out);
    if (!d->fwd) {
        dnnl_eltwise_desc_t ed;
        DNNL_CHECK(dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_training, eltwise_alg(n), &data, 0.0f, 0.0f));
        d->fwd = make(&ed, g, NULL, &d->fwd_pd);
    }
    nn_dnnl_marg a[] = {{DNNL_ARG_SRC, &data, in->y}, {DNNL_ARG_DST, &data, n->y}};
    execute(g, d->fwd, 2, a);
}

/* Max pooling runs on nn/maxpool.c: oneDNN 2.6 has only a reference kernel for plain layouts. The
 * workspace holds each output's argmax for the backward. */
static void pool_forward(nn_graph *g, nn_node *n, bool training)
{
    dnnl_node *d = impl_of(n);
    nn_dims x = g->nodes[n->in[0]].out;
    x.n = g->batch;
    if (training && !d->workspace) d->workspace = xmalloc((size_t)g->batch * nn_sample(n->out));
    nn_maxpool_forward(x, n->k, g->nodes[n->in[0]].y, n->y, training ? d->workspace : NULL);
}

/* Nearest upsampling is a copy (and its backward a 4-term sum): oneDNN 2.6's resampling crashed
 * (SIGSEGV in its JIT code) on COEmuNet's decoder at batch 8, so this backend uses nn/upsample.c. */
static void upsample_forward(nn_graph *g, nn_node *n)
{
    nn_dims x = g->nodes[n->in[0]].out;
    x.n = g->batch;
    nn_upsample_forward(x, n->k, g->nodes[n->in[0]].y, n->y);
}

/* The fully connected layer runs on OpenBLAS (nn/linear_blas.h): about 2x oneDNN 2.6's inner product. */
static void linear_forward(nn_graph *g, nn_node *n)
{
    int in = (int)nn_sample(g->nodes[n->in[0]].out);
    nn_blas_linear_forward(g->batch, in, n->out.c, g->nodes[n->in[0]].y, g->params + g->tensors[n->weight].offset,
                           g->params + g->tensors[n->bias].offset, n->y);
}

void nn_dnnl_node_forward(nn_graph *g, nn_node *n, bool training)
{
    switch (n->op) {
    case NN_CONV: conv_forward(g, n); break;
    case NN_BN: bn_forward(g, n, training); break;
    case NN_RELU:
    case NN_TANH: eltwise_forward(g, n); break;
    case NN_MAXPOOL: pool_forward(g, n, training); break;
    case NN_UPSAMPLE: upsample_forward(g, n); break;
    case NN_LINEAR: linear_forward(g, n); break;
    default: synobs_fatal(__FILE__, __LINE__, "nn", "a graph bug", "op %d is not a numerical op", (int)n->op);
    }
}

/* ---- backward ---- */

static void conv_backward(nn_graph *g, nn_node *n, float *dx)
{
    nn_dnnl_ctx *st = g->engine;
    dnnl_node *d = impl_of(n);
    if (!d->conv_bwd_weights.prim) {
        const conv_geom c = conv_geom_of(g, n);
        dnnl_convolution_desc_t cd;
        DNNL_CHECK(dnnl_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, &c.src_any, &c.wei_any,
                                                               &c.bias, &c.dst_any, c.s, c.pl, c.pr));
        dnnl_primitive_desc_t pd;
        DNNL_CHECK(dnnl_primitive_desc_create(&pd, &cd, NULL, st->engine, d->fwd_pd));
        nn_dnnl_argspec a[] = {{DNNL_ARG_SRC, false, c.src}, {DNNL_ARG_DIFF_DST, false, c.dst},
                               {DNNL_ARG_DIFF_WEIGHTS, true, c.wei}, {DNNL_ARG_DIFF_BIAS, true, c.bias}};
        nn_dnnl_prim_make(st, &d->conv_bwd_weights, pd, 4, a);
        dnnl_primitive_desc_destroy(pd);
    }
    void *pw[] = {g->nodes[n->in[0]].y, n->dy, g->grads + g->tensors[n->weight].offset,
                  g->grads + g->tensors[n->bias].offset};
    nn_dnnl_prim_run(st, &d->conv_bwd_weights, pw);
    if (!dx) return;
    if (!d->conv_bwd_data.prim) {
        const conv_geom c = conv_geom_of(g, n);
        dnnl_convolution_desc_t cd;
        DNNL_CHECK(dnnl_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &c.src_any, &c.wei_any,
                                                            &c.dst_any, c.s, c.pl, c.pr));
        dnnl_primitive_desc_t pd;
        DNNL_CHECK(dnnl_primitive_desc_create(&pd, &cd, NULL, st->engine, d->fwd_pd));
        nn_dnnl_argspec a[] = {{DNNL_ARG_DIFF_DST, false, c.dst}, {DNNL_ARG_WEIGHTS, false, c.wei},
                               {DNNL_ARG_DIFF_SRC, true, c.src}};
        nn_dnnl_prim_make(st, &d->conv_bwd_data, pd, 3, a);
        dnnl_primitive_desc_destroy(pd);
    }
    void *pd_[] = {n->dy, g->params + g->tensors[n->weight].offset, dx};
    nn_dnnl_prim_run(st, &d->conv_bwd_data, pd_);
}

static void bn_backward(nn_graph *g, nn_node *n, float *dx)
{
    dnnl_node *d = impl_of(n);
    const nn_node *in = &g->nodes[n->in[0]];
    dnnl_memory_desc_t data = md_act(g->batch, n->out), vec = md_vec(n->out.c);
    if (!d->bwd_data) {
        dnnl_batch_normalization_desc_t bd;
        DNNL_CHECK(dnnl_batch_normalization_backward_desc_init(&bd, dnnl_backward, &data, &data, g->bn_eps,
                                                               dnnl_use_scale | dnnl_use_shift));
        d->bwd_data = make(&bd, g, d->fwd_pd, NULL);
    }
    /* oneDNN always computes diff_src here; a node whose input needs none writes it to a buffer of its own. */
    if (!dx && !d->workspace) d->workspace = xmalloc((size_t)g->batch * nn_sample(n->out) * sizeof(float));
    float *target = dx ? dx : d->workspace;
    nn_dnnl_marg a[] = {{DNNL_ARG_SRC, &data, in->y},
                {DNNL_ARG_MEAN, &vec, n->mean},
                {DNNL_ARG_VARIANCE, &vec, n->var},
                {DNNL_ARG_DIFF_DST, &data, n->dy},
                {DNNL_ARG_SCALE, &vec, g->params + g->tensors[n->weight].offset},
                {DNNL_ARG_SHIFT, &vec, g->params + g->tensors[n->bias].offset},
                {DNNL_ARG_DIFF_SRC, &data, target},
                {DNNL_ARG_DIFF_SCALE, &vec, g->grads + g->tensors[n->weight].offset},
                {DNNL_ARG_DIFF_SHIFT, &vec, g->grads + g->tensors[n->bias].offset}};
    execute(g, d->bwd_data, 9, a);
}

static void eltwise_backward(nn_graph *g, nn_node *n, float *dx)
{
    dnnl_node *d = impl_of(n);
    dnnl_memory_desc_t data = md_act(g->batch, n->out);
    if (!d->bwd_data) {
        dnnl_eltwise_desc_t ed;
        DNNL_CHECK(dnnl_eltwise_backward_desc_init(&ed, eltwise_alg(n), &data, &data, 0.0f, 0.0f));
        d->bwd_data = make(&ed, g, d->fwd_pd, NULL);
    }
    nn_dnnl_marg a[] = {{DNNL_ARG_DIFF_DST, &data, n->dy}, {DNNL_ARG_DST, &data, n->y}, {DNNL_ARG_DIFF_SRC, &data, dx}};
    execute(g, d->bwd_data, 3, a);
}

static void pool_backward(nn_graph *g, nn_node *n, float *dx)
{
    nn_dims x = g->nodes[n->in[0]].out;
    x.n = g->batch;
    nn_maxpool_backward(x, n->k, impl_of(n)->workspace, n->dy, dx);
}

static void upsample_backward(nn_graph *g, nn_node *n, float *dx)
{
    nn_dims x = g->nodes[n->in[0]].out;
    x.n = g->batch;
    nn_upsample_backward(x, n->k, n->dy, dx);
}

static void linear_backward(nn_graph *g, nn_node *n, float *dx)
{
    int in = (int)nn_sample(g->nodes[n->in[0]].out);
    nn_blas_linear_backward(g->batch, in, n->out.c, g->nodes[n->in[0]].y, g->params + g->tensors[n->weight].offset,
                            n->dy, dx, g->grads + g->tensors[n->weight].offset, g->grads + g->tensors[n->bias].offset);
}

void nn_dnnl_node_backward(nn_graph *g, nn_node *n, float *dx)
{
    switch (n->op) {
    case NN_CONV: conv_backward(g, n, dx); break;
    case NN_BN: bn_backward(g, n, dx); break;
    case NN_RELU:
    case NN_TANH: if (dx) eltwise_backward(g, n, dx); break;
    case NN_MAXPOOL: if (dx) pool_backward(g, n, dx); break;
    case NN_UPSAMPLE: if (dx) upsample_backward(g, n, dx); break;
    case NN_LINEAR: linear_backward(g, n, dx); break;
    default: synobs_fatal(__FILE__, __LINE__, "nn", "a graph bug", "op %d is not a numerical op", (int)n->op);
    }
}
