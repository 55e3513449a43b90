/**
 * @file cnn2d.h
 * @brief A small DAG of 2-D inference layers (issue 17) and its executor on either backend: the
 * plain-C reference (nn/ops2d.h nn2d_ref_*) or oneDNN (nn2d_dnnl_*), and the Keras MobileNetV2
 * (alpha 1.0, nsfwjs weights; spec analogues.md 9.3) built in it up to any named tap.
 *
 * Layers refer to their inputs by index (always earlier layers) and carry the Keras name of the
 * output they produce. A convolution layer holds its BatchNorm folded in and its activation fused;
 * it is named after the last Keras layer it covers (`block_3_expand_relu` for expand + BN + ReLU6),
 * and a ZeroPadding2D before a `valid` convolution becomes that convolution's padding, unless the
 * tap is the padding itself. Activations are NHWC float32, `// (N, H, W, C)`.
 *
 * On oneDNN the primitives and the packed weights of every layer are made when the model is built,
 * for the model's batch (cnn2d_set_batch; 32 by default); a forward pass over n images runs in
 * chunks of that batch, and a smaller last chunk gets its own primitives (made once, kept). A
 * convolution whose only consumer is a residual Add runs with a sum post-op into the Add's output.
 */
#ifndef SYNOBS_NN_CNN2D_H
#define SYNOBS_NN_CNN2D_H

#include <stdbool.h>
#include <stddef.h>

#include "io/keras_h5.h"
#include "nn/ops2d.h"

enum { CNN2D_BACKEND_REF = 0, CNN2D_BACKEND_DNNL = 1 };
enum { CNN2D_MAX_IN = 8, CNN2D_NAME = 64 };

typedef enum { CNN2D_GAP = 0, CNN2D_FLATTEN = 1 } cnn2d_mode;

typedef enum {
    CNN2D_INPUT,
    CNN2D_CONV,    /**< conv (+ folded BN) + bias + act; groups = c: depthwise */
    CNN2D_ZERO_PAD,
    CNN2D_MAXPOOL,
    CNN2D_AVGPOOL, /**< padded cells not counted */
    CNN2D_GAPOOL,  /**< global average pooling: (1, 1, c) */
    CNN2D_ADD,     /**< in[0] + in[1], then act */
    CNN2D_CONCAT,  /**< along channels */
    CNN2D_DENSE,   /**< on the flattened (h, w, c) input: w [h w c, out] */
    CNN2D_SOFTMAX,
} cnn2d_op;

typedef struct {
    char name[CNN2D_NAME];
    cnn2d_op op;
    int nin, in[CNN2D_MAX_IN]; /**< earlier layers' indices */
    int h, w, c;               /**< output shape of one image */
    int kh, kw, sh, sw, groups;
    nn2d_pad pad;
    nn2d_act act;
    float *wt, *bias;          /**< conv HWIO (BN folded) / dense [in, out]; owned */
    /* the executor's */
    int last_use;              /**< the last layer reading this output */
    int sum_into;              /**< DNNL: conv that accumulates into this Add's output (or -1) */
    bool fused;                /**< DNNL: an Add done by the conv before it */
    void *impl[2];             /**< DNNL ops for the two batch sizes in use */
} cnn2d_layer;

typedef struct {
    int backend;
    int nlayers, cap;
    cnn2d_layer *layers;       /**< layers[0] is the input; the last is the output (the tap) */
    int batch;                 /**< images per chunk */
    int impl_batch[2];         /**< the batch each impl set was made for (0: none) */
    nn_dnnl_ctx *ctx;
    struct cnn2d_pool *pool;   /**< activation buffers, reused */
} cnn2d_model;

/* ---- building a model by hand ---- */

/** A model with an input of (h, w, c) per image. */
cnn2d_model *cnn2d_new(int h, int w, int c, int backend);
/** Each returns the new layer's index. Weights are copied. */
int cnn2d_add_conv(cnn2d_model *m, const char *name, int in, int kh, int kw, int sh, int sw, nn2d_pad pad,
                   int groups, int cout, const float *w, const float *b, nn2d_act act);
int cnn2d_add_zero_pad(cnn2d_model *m, const char *name, int in, nn2d_pad pad);
int cnn2d_add_pool(cnn2d_model *m, const char *name, cnn2d_op op, int in, int kh, int kw, int sh, int sw,
                   nn2d_pad pad);
int cnn2d_add_gap(cnn2d_model *m, const char *name, int in);
int cnn2d_add_add(cnn2d_model *m, const char *name, int a, int b, nn2d_act act);
int cnn2d_add_concat(cnn2d_model *m, const char *name, int nin, const int *in);
int cnn2d_add_dense(cnn2d_model *m, const char *name, int in, int out, const float *w, const float *b,
                    nn2d_act act);
int cnn2d_add_softmax(cnn2d_model *m, const char *name, int in);
/** Ends building: the last layer added is the output. Makes the oneDNN primitives (batch m->batch). */
void cnn2d_finish(cnn2d_model *m);
/** Images per chunk (remakes the oneDNN primitives). */
void cnn2d_set_batch(cnn2d_model *m, int batch);
/** The index of the layer named `name`, or -1. */
int cnn2d_find(const cnn2d_model *m, const char *name);
void cnn2d_free(cnn2d_model *m);

/* ---- running ---- */

/** The output (tap) shape of one image. */
void cnn2d_tap_shape(const cnn2d_model *m, int *h, int *w, int *c);
/** y (n, th, tw, tc) = the output layer on x (n, h, w, c). */
void cnn2d_forward(cnn2d_model *m, int n, const float *x, float *y);
/**
 * @brief Feature vectors of n images x (n, h, w, c): gap (n, tc), the mean over the tap's h and w
 * (in double), or flatten (n, th tw tc) in NHWC order.
 */
void cnn2d_features(cnn2d_model *m, int n, const float *x, cnn2d_mode mode, float *out);

/* ---- models ---- */

/**
 * @brief Keras MobileNetV2 alpha 1.0 (nsfwjs mobilenet_v2), from the input to the layer named
 * `tap` (any layer of the trunk up to `out_relu`; NULL: out_relu), input (in_h, in_w, 3) RGB in
 * [0, 1]. Layers are matched to w by name and every shape is checked.
 * @return the model, or NULL with error_set naming the layer (missing, wrong tensor count or
 * shape) or the unknown tap.
 */
cnn2d_model *cnn2d_mobilenet_v2(const kh5_weights *w, int in_h, int in_w, const char *tap, int backend);

#endif
