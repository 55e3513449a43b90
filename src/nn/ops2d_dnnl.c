/**
 * @file ops2d_dnnl.c
 * @brief The 2-D inference layers on oneDNN 2.6 (v2 C API); see ops2d.h.
 *
 * Activations stay plain NHWC (oneDNN's `acdb`) between layers: on AVX-512 and AVX2 oneDNN's
 * convolution kernels (brgemm, jit depthwise) run on NHWC directly, so no activation reorders are
 * needed. Weights are given to the primitive as `any`, and reordered once, when the op is made,
 * into the layout it chose ("packed"). Bias, ReLU / ReLU6 (eltwise clip 0..6) and the residual
 * add (sum post-op) are fused into the convolution.
 */
#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>

#include "core/check.h"
#include "nn/ops2d.h"

enum { MAX_SRC = 8 };

struct nn2d_dnnl_op {
    dnnl_primitive_t prim;
    bool pad;                    /* zero-pad: prim is a reorder into a sub-memory of dst */
    int nsrc;
    int src_arg[MAX_SRC];
    dnnl_memory_desc_t src_md[MAX_SRC];
    int dst_arg;
    dnnl_memory_desc_t dst_md;   /* pad: the sub-memory inside dst */
    size_t dst_bytes;            /* pad: bytes of the whole dst, zeroed first */
    int nfixed;                  /* the packed weights and the bias */
    int fixed_arg[2];
    dnnl_memory_desc_t fixed_md[2];
    void *fixed[2];
};

static dnnl_memory_desc_t md_tag(int ndims, const dnnl_dims_t dims, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t md;
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&md, ndims, dims, dnnl_f32, tag));
    return md;
}

/* (n, h, w, c) as oneDNN's logical (n, c, h, w) in the physical NHWC order. */
static dnnl_memory_desc_t md_nhwc(int n, int h, int w, int c)
{
    dnnl_dims_t d = {n, c, h, w};
    return md_tag(4, d, dnnl_acdb);
}

static nn2d_dnnl_op *op_new(void) { return xcalloc(1, sizeof(nn2d_dnnl_op)); }

/* Post-ops: sum (if accumulate), then the activation. */
static dnnl_primitive_attr_t attr_of(nn2d_act act, bool accumulate)
{
    dnnl_primitive_attr_t attr;
    dnnl_post_ops_t po;
    DNNL_CHECK(dnnl_primitive_attr_create(&attr));
    DNNL_CHECK(dnnl_post_ops_create(&po));
    if (accumulate) DNNL_CHECK(dnnl_post_ops_append_sum(po, 1.0f));
    if (act == NN2D_ACT_RELU) DNNL_CHECK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f));
    if (act == NN2D_ACT_RELU6) DNNL_CHECK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_clip, 0.0f, 6.0f));
    DNNL_CHECK(dnnl_primitive_attr_set_post_ops(attr, po));
    dnnl_post_ops_destroy(po);
    return attr;
}

/* Copies (or reorders) the plain weights into the layout the primitive chose, once. */
static void add_fixed(nn_dnnl_ctx *ctx, nn2d_dnnl_op *op, const_dnnl_primitive_desc_t pd, int arg,
                      const dnnl_memory_desc_t *plain, const void *data)
{
    int i = op->nfixed++;
    const dnnl_memory_desc_t *chosen = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg);
    op->fixed_arg[i] = arg;
    op->fixed_md[i] = *chosen;
    op->fixed[i] = xaligned64(dnnl_memory_desc_get_size(chosen));
    if (dnnl_memory_desc_equal(plain, chosen)) {
        memcpy(op->fixed[i], data, dnnl_memory_desc_get_size(chosen));
        return;
    }
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t r;
    DNNL_CHECK(dnnl_reorder_primitive_desc_create(&rpd, plain, ctx->engine, chosen, ctx->engine, NULL));
    DNNL_CHECK(dnnl_primitive_create(&r, rpd));
    dnnl_primitive_desc_destroy(rpd);
    nn_dnnl_marg a[2] = {{DNNL_ARG_FROM, plain, data}, {DNNL_ARG_TO, chosen, op->fixed[i]}};
    nn_dnnl_execute(ctx, r, 2, a);
    dnnl_primitive_destroy(r);
}

/* Creates op->prim from desc and attr (attr destroyed here); returns the pd, which the caller destroys. */
static dnnl_primitive_desc_t make_prim(nn_dnnl_ctx *ctx, nn2d_dnnl_op *op, const void *desc, dnnl_primitive_attr_t attr)
{
    dnnl_primitive_desc_t pd;
    DNNL_CHECK(dnnl_primitive_desc_create(&pd, desc, attr, ctx->engine, NULL));
    if (attr) dnnl_primitive_attr_destroy(attr);
    DNNL_CHECK(dnnl_primitive_create(&op->prim, pd));
    return pd;
}

static void set_io(nn2d_dnnl_op *op, int src_arg, dnnl_memory_desc_t src, dnnl_memory_desc_t dst)
{
    op->nsrc = 1;
    op->src_arg[0] = src_arg;
    op->src_md[0] = src;
    op->dst_arg = DNNL_ARG_DST;
    op->dst_md = dst;
}

nn2d_dnnl_op *nn2d_dnnl_conv_make(nn_dnnl_ctx *ctx, const nn2d_conv *g, const float *w, const float *b,
                                  nn2d_act act, bool accumulate)
{
    nn2d_dnnl_op *op = op_new();
    int oh = nn2d_conv_oh(g), ow = nn2d_conv_ow(g), G = g->groups, ig = g->c / G, og = g->cout / G;
    dnnl_memory_desc_t src = md_nhwc(g->n, g->h, g->w, g->c), dst = md_nhwc(g->n, oh, ow, g->cout);
    /* HWIO [kh, kw, ig, cout] seen as oneDNN's (O, I, kh, kw), or (G, O/G, I/G, kh, kw) grouped. */
    dnnl_memory_desc_t wei, wei_any, bias;
    dnnl_dims_t bd = {g->cout};
    bias = md_tag(1, bd, dnnl_a);
    if (G == 1) {
        dnnl_dims_t wd = {g->cout, ig, g->kh, g->kw};
        dnnl_dims_t ws = {1, g->cout, (dnnl_dim_t)g->kw * ig * g->cout, (dnnl_dim_t)ig * g->cout};
        DNNL_CHECK(dnnl_memory_desc_init_by_strides(&wei, 4, wd, dnnl_f32, ws));
        wei_any = md_tag(4, wd, dnnl_format_tag_any);
    } else {
        dnnl_dims_t wd = {G, og, ig, g->kh, g->kw};
        dnnl_dims_t ws = {og, 1, g->cout, (dnnl_dim_t)g->kw * ig * g->cout, (dnnl_dim_t)ig * g->cout};
        DNNL_CHECK(dnnl_memory_desc_init_by_strides(&wei, 5, wd, dnnl_f32, ws));
        wei_any = md_tag(5, wd, dnnl_format_tag_any);
    }
    dnnl_dims_t s = {g->sh, g->sw}, pl = {g->pad.top, g->pad.left}, pr = {g->pad.bottom, g->pad.right};
    /* oneDNN wants (out - 1) s + k = in + pl + pr exactly: trim the right padding floor drops. */
    pr[0] = (dnnl_dim_t)(oh - 1) * g->sh + g->kh - g->h - pl[0];
    pr[1] = (dnnl_dim_t)(ow - 1) * g->sw + g->kw - g->w - pl[1];
    dnnl_convolution_desc_t cd;
    DNNL_CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &src,
                                                  &wei_any, &bias, &dst, s, pl, pr));
    dnnl_primitive_desc_t pd = make_prim(ctx, op, &cd, attr_of(act, accumulate));
    set_io(op, DNNL_ARG_SRC, src, dst);
    add_fixed(ctx, op, pd, DNNL_ARG_WEIGHTS, &wei, w);
    float *zero = NULL;
    if (!b) b = zero = xcalloc((size_t)g->cout, sizeof *zero);
    add_fixed(ctx, op, pd, DNNL_ARG_BIAS, &bias, b);
    free(zero);
    dnnl_primitive_desc_destroy(pd);
    return op;
}

nn2d_dnnl_op *nn2d_dnnl_zero_pad_make(nn_dnnl_ctx *ctx, int n, int h, int w, int c, nn2d_pad p)
{
    nn2d_dnnl_op *op = op_new();
    int oh = h + p.top + p.bottom, ow = w + p.left + p.right;
    dnnl_memory_desc_t src = md_nhwc(n, h, w, c), whole = md_nhwc(n, oh, ow, c), sub;
    dnnl_dims_t d = {n, c, h, w}, off = {0, 0, p.top, p.left};
    DNNL_CHECK(dnnl_memory_desc_init_submemory(&sub, &whole, d, off));
    dnnl_primitive_desc_t pd;
    DNNL_CHECK(dnnl_reorder_primitive_desc_create(&pd, &src, ctx->engine, &sub, ctx->engine, NULL));
    DNNL_CHECK(dnnl_primitive_create(&op->prim, pd));
    dnnl_primitive_desc_destroy(pd);
    op->pad = true;
    op->nsrc = 1;
    op->src_arg[0] = DNNL_ARG_FROM;
    op->src_md[0] = src;
    op->dst_arg = DNNL_ARG_TO;
    op->dst_md = sub;
    op->dst_bytes = dnnl_memory_desc_get_size(&whole);
    return op;
}

static nn2d_dnnl_op *pool_make(nn_dnnl_ctx *ctx, const nn2d_pool *g, dnnl_alg_kind_t alg)
{
    nn2d_dnnl_op *op = op_new();
    int oh = nn2d_pool_oh(g), ow = nn2d_pool_ow(g);
    dnnl_memory_desc_t src = md_nhwc(g->n, g->h, g->w, g->c), dst = md_nhwc(g->n, oh, ow, g->c);
    dnnl_dims_t s = {g->sh, g->sw}, k = {g->kh, g->kw}, dil = {0, 0}, pl = {g->pad.top, g->pad.left};
    dnnl_dims_t pr = {(dnnl_dim_t)(oh - 1) * g->sh + g->kh - g->h - pl[0],
                      (dnnl_dim_t)(ow - 1) * g->sw + g->kw - g->w - pl[1]};
    dnnl_pooling_v2_desc_t d;
    DNNL_CHECK(dnnl_pooling_v2_forward_desc_init(&d, dnnl_forward_inference, alg, &src, &dst, s, k, dil, pl, pr));
    dnnl_primitive_desc_destroy(make_prim(ctx, op, &d, NULL));
    set_io(op, DNNL_ARG_SRC, src, dst);
    return op;
}

nn2d_dnnl_op *nn2d_dnnl_maxpool_make(nn_dnnl_ctx *ctx, const nn2d_pool *g) { return pool_make(ctx, g, dnnl_pooling_max); }
nn2d_dnnl_op *nn2d_dnnl_avgpool_make(nn_dnnl_ctx *ctx, const nn2d_pool *g)
{
    return pool_make(ctx, g, dnnl_pooling_avg_exclude_padding);
}

nn2d_dnnl_op *nn2d_dnnl_gap_make(nn_dnnl_ctx *ctx, int n, int h, int w, int c)
{
    nn2d_pool g = {n, h, w, c, h, w, 1, 1, {0, 0, 0, 0}};
    return pool_make(ctx, &g, dnnl_pooling_avg_exclude_padding);
}

nn2d_dnnl_op *nn2d_dnnl_add_make(nn_dnnl_ctx *ctx, size_t count, nn2d_act act)
{
    nn2d_dnnl_op *op = op_new();
    dnnl_dims_t d = {(dnnl_dim_t)count};
    dnnl_memory_desc_t md = md_tag(1, d, dnnl_a);
    dnnl_binary_desc_t bd;
    DNNL_CHECK(dnnl_binary_desc_init(&bd, dnnl_binary_add, &md, &md, &md));
    dnnl_primitive_desc_destroy(make_prim(ctx, op, &bd, attr_of(act, false)));
    set_io(op, DNNL_ARG_SRC_0, md, md);
    op->nsrc = 2;
    op->src_arg[1] = DNNL_ARG_SRC_1;
    op->src_md[1] = md;
    return op;
}

nn2d_dnnl_op *nn2d_dnnl_concat_make(nn_dnnl_ctx *ctx, size_t pixels, int nin, const int *c)
{
    if (nin < 1 || nin > MAX_SRC)
        synobs_fatal(__FILE__, __LINE__, "nn2d", NULL, "concat of %d inputs (1..%d)", nin, MAX_SRC);
    nn2d_dnnl_op *op = op_new();
    int ctot = 0;
    for (int k = 0; k < nin; k++) {
        dnnl_dims_t d = {(dnnl_dim_t)pixels, c[k]};
        op->src_md[k] = md_tag(2, d, dnnl_ab);
        op->src_arg[k] = DNNL_ARG_MULTIPLE_SRC + k;
        ctot += c[k];
    }
    op->nsrc = nin;
    dnnl_dims_t dd = {(dnnl_dim_t)pixels, ctot};
    op->dst_md = md_tag(2, dd, dnnl_ab);
    op->dst_arg = DNNL_ARG_DST;
    dnnl_primitive_desc_t pd;
    DNNL_CHECK(dnnl_concat_primitive_desc_create(&pd, &op->dst_md, nin, 1, op->src_md, NULL, ctx->engine));
    DNNL_CHECK(dnnl_primitive_create(&op->prim, pd));
    dnnl_primitive_desc_destroy(pd);
    return op;
}

nn2d_dnnl_op *nn2d_dnnl_dense_make(nn_dnnl_ctx *ctx, int batch, int in, int out, const float *w,
                                   const float *b, nn2d_act act)
{
    nn2d_dnnl_op *op = op_new();
    dnnl_dims_t sd = {batch, in}, wd = {out, in}, bd = {out}, dd = {batch, out};
    dnnl_memory_desc_t src = md_tag(2, sd, dnnl_ab), dst = md_tag(2, dd, dnnl_ab), bias = md_tag(1, bd, dnnl_a);
    dnnl_memory_desc_t wei = md_tag(2, wd, dnnl_ba), wei_any = md_tag(2, wd, dnnl_format_tag_any); /* [in, out] */
    dnnl_inner_product_desc_t ipd;
    DNNL_CHECK(dnnl_inner_product_forward_desc_init(&ipd, dnnl_forward_inference, &src, &wei_any, &bias, &dst));
    dnnl_primitive_desc_t pd = make_prim(ctx, op, &ipd, attr_of(act, false));
    set_io(op, DNNL_ARG_SRC, src, dst);
    add_fixed(ctx, op, pd, DNNL_ARG_WEIGHTS, &wei, w);
    float *zero = NULL;
    if (!b) b = zero = xcalloc((size_t)out, sizeof *zero);
    add_fixed(ctx, op, pd, DNNL_ARG_BIAS, &bias, b);
    free(zero);
    dnnl_primitive_desc_destroy(pd);
    return op;
}

nn2d_dnnl_op *nn2d_dnnl_softmax_make(nn_dnnl_ctx *ctx, int batch, int n)
{
    nn2d_dnnl_op *op = op_new();
    dnnl_dims_t d = {batch, n};
    dnnl_memory_desc_t md = md_tag(2, d, dnnl_ab);
    dnnl_softmax_desc_t sd;
    DNNL_CHECK(dnnl_softmax_forward_desc_init(&sd, dnnl_forward_inference, &md, 1));
    dnnl_primitive_desc_destroy(make_prim(ctx, op, &sd, NULL));
    set_io(op, DNNL_ARG_SRC, md, md);
    return op;
}

void nn2d_dnnl_run(nn_dnnl_ctx *ctx, const nn2d_dnnl_op *op, const float *const *x, float *y)
{
    nn_dnnl_marg a[MAX_SRC + 3];
    int n = 0;
    for (int i = 0; i < op->nsrc; i++) a[n++] = (nn_dnnl_marg){op->src_arg[i], &op->src_md[i], x[i]};
    for (int i = 0; i < op->nfixed; i++) a[n++] = (nn_dnnl_marg){op->fixed_arg[i], &op->fixed_md[i], op->fixed[i]};
    a[n++] = (nn_dnnl_marg){op->dst_arg, &op->dst_md, y};
    if (op->pad) memset(y, 0, op->dst_bytes);
    nn_dnnl_execute(ctx, op->prim, n, a);
}

void nn2d_dnnl_op_free(nn2d_dnnl_op *op)
{
    if (!op) return;
    if (op->prim) dnnl_primitive_destroy(op->prim);
    for (int i = 0; i < op->nfixed; i++) free(op->fixed[i]);
    free(op);
}
