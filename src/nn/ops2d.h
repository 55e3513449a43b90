/**
 * @file ops2d.h
 * @brief 2-D inference layers (issue 17): the plain-C reference and the oneDNN twin.
 *
 * Conventions are Keras/TF.js ones (spec analogues.md 9.2), not the PyTorch ones of ops.h:
 * - activations NHWC float32, `// (N, H, W, C)`;
 * - conv kernels HWIO `[kh, kw, cin / groups, cout]`; output channel o belongs to group
 *   o / (cout / groups). A Keras depthwise kernel `[kh, kw, cin, m]` is the same memory as
 *   `[kh, kw, 1, cin * m]` with groups = cin, so it is passed unchanged;
 * - dense kernels `[in, out]`;
 * - explicit zero padding per side (top, bottom, left, right); `nn2d_pad_same` gives TF SAME
 *   (the odd pixel bottom/right), `nn2d_pad_valid` none;
 * - BatchNorm at inference is folded into the preceding convolution (`nn2d_fold_bn`).
 *
 * The references (nn2d_ref_*) loop in the order of the definitions and sum in double. The oneDNN
 * functions (nn2d_dnnl_*) make a primitive once, with its weights reordered ("packed") once into
 * the layout oneDNN chose, then run it any number of times on plain NHWC tensors.
 */
#ifndef SYNOBS_NN_OPS2D_H
#define SYNOBS_NN_OPS2D_H

#include <stdbool.h>
#include <stddef.h>

#include "nn/dnnl_layout.h"

/** Activation fused into a layer's output. */
typedef enum { NN2D_ACT_NONE = 0, NN2D_ACT_RELU, NN2D_ACT_RELU6 } nn2d_act;

/** Zero padding, in pixels, on each side. */
typedef struct {
    int top, bottom, left, right;
} nn2d_pad;

/** A convolution: one image's input (h, w, c), batch n, kernel, stride, padding, groups, cout. */
typedef struct {
    int n, h, w, c;
    int kh, kw, sh, sw;
    nn2d_pad pad;
    int groups; /**< 1: dense conv; c: depthwise (cout = c * multiplier) */
    int cout;
} nn2d_conv;

/** A pooling window (max or average) over (n, h, w, c). */
typedef struct {
    int n, h, w, c;
    int kh, kw, sh, sw;
    nn2d_pad pad;
} nn2d_pool;

/** Output extent along one axis: floor((in + lo + hi - k) / s) + 1. */
static inline int nn2d_out(int in, int k, int s, int lo, int hi) { return (in + lo + hi - k) / s + 1; }
/** TF SAME: pad_total = max((ceil(H/s) - 1) s + k - H, 0) per axis, the odd pixel bottom/right. */
nn2d_pad nn2d_pad_same(int h, int w, int kh, int kw, int sh, int sw);
static inline nn2d_pad nn2d_pad_valid(void) { return (nn2d_pad){0, 0, 0, 0}; }
/** Output height/width of a convolution or pooling. */
int nn2d_conv_oh(const nn2d_conv *g);
int nn2d_conv_ow(const nn2d_conv *g);
int nn2d_pool_oh(const nn2d_pool *g);
int nn2d_pool_ow(const nn2d_pool *g);

/**
 * @brief Fold inference BatchNorm y = (x - mean) / sqrt(var + eps) gamma + beta into the HWIO
 * kernel w [kh, kw, cin_g, cout] and bias b [cout] of the convolution before it (in double).
 * @param gamma NULL for scale = false (gamma = 1).
 * @param b in: the conv's bias (zeros if it has none); out: the folded bias.
 */
void nn2d_fold_bn(int kh, int kw, int cin_g, int cout, float *w, float *b, const float *gamma,
                  const float *beta, const float *mean, const float *var, double eps);

/* ---- the plain-C reference ---- */

/** y (n, oh, ow, cout) = act(conv(x (n, h, w, c), w HWIO) + b); b may be NULL. */
void nn2d_ref_conv(const nn2d_conv *g, const float *x, const float *w, const float *b, nn2d_act act,
                   float *y);
/** y (n, h + top + bottom, w + left + right, c): x surrounded by zeros. */
void nn2d_ref_zero_pad(int n, int h, int w, int c, nn2d_pad p, const float *x, float *y);
/** Max over the window's cells inside the image (padded cells never win: TF and oneDNN). */
void nn2d_ref_maxpool(const nn2d_pool *g, const float *x, float *y);
/** Mean over the window's cells inside the image (padded cells not counted: TF SAME). */
void nn2d_ref_avgpool(const nn2d_pool *g, const float *x, float *y);
/** y (n, c): the mean over h and w. */
void nn2d_ref_gap(int n, int h, int w, int c, const float *x, float *y);
/** y[i] = act(a[i] + b[i]), i < count. */
void nn2d_ref_add(size_t count, const float *a, const float *b, nn2d_act act, float *y);
/** y (pixels, sum c): the inputs x[k] (pixels, c[k]) side by side along channels. */
void nn2d_ref_concat(size_t pixels, int nin, const int *c, const float *const *x, float *y);
/** y (batch, out) = act(x (batch, in) · w [in, out] + b); b may be NULL. */
void nn2d_ref_dense(int batch, int in, int out, const float *x, const float *w, const float *b,
                    nn2d_act act, float *y);
/** Softmax over the last axis of x (batch, n). */
void nn2d_ref_softmax(int batch, int n, const float *x, float *y);

/* ---- oneDNN ---- */

/** One layer on oneDNN: its primitive(s), made once, and packed weights. Opaque. */
typedef struct nn2d_dnnl_op nn2d_dnnl_op;

/**
 * @brief A convolution with bias, activation and, if `accumulate`, a sum post-op: then
 * y = act(conv(x) + b + y_in) (the residual add: y holds the other addend when run).
 * The weights w (HWIO) are reordered here, once; w and b may be freed afterwards.
 */
nn2d_dnnl_op *nn2d_dnnl_conv_make(nn_dnnl_ctx *ctx, const nn2d_conv *g, const float *w, const float *b,
                                  nn2d_act act, bool accumulate);
nn2d_dnnl_op *nn2d_dnnl_zero_pad_make(nn_dnnl_ctx *ctx, int n, int h, int w, int c, nn2d_pad p);
nn2d_dnnl_op *nn2d_dnnl_maxpool_make(nn_dnnl_ctx *ctx, const nn2d_pool *g);
nn2d_dnnl_op *nn2d_dnnl_avgpool_make(nn_dnnl_ctx *ctx, const nn2d_pool *g);
nn2d_dnnl_op *nn2d_dnnl_gap_make(nn_dnnl_ctx *ctx, int n, int h, int w, int c);
nn2d_dnnl_op *nn2d_dnnl_add_make(nn_dnnl_ctx *ctx, size_t count, nn2d_act act);
nn2d_dnnl_op *nn2d_dnnl_concat_make(nn_dnnl_ctx *ctx, size_t pixels, int nin, const int *c);
nn2d_dnnl_op *nn2d_dnnl_dense_make(nn_dnnl_ctx *ctx, int batch, int in, int out, const float *w,
                                   const float *b, nn2d_act act);
nn2d_dnnl_op *nn2d_dnnl_softmax_make(nn_dnnl_ctx *ctx, int batch, int n);
/** Runs op: x[0..nin-1] the inputs (one for all but add (2) and concat), y the output. */
void nn2d_dnnl_run(nn_dnnl_ctx *ctx, const nn2d_dnnl_op *op, const float *const *x, float *y);
void nn2d_dnnl_op_free(nn2d_dnnl_op *op);

#endif
