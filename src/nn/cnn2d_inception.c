/**
 * @file cnn2d_inception.c
 * @brief Keras InceptionV3 in the cnn2d DAG (see cnn2d_inception.h).
 *
 * Built in two passes. First the whole trunk is described as a list of units in Keras' creation
 * order (keras applications inception_v3.py), which is also the order of Keras' automatic names:
 * a conv2d_bn unit covers conv2d_<k>, batch_normalization_<k> and activation_<k>; pools and
 * concatenations are one layer each. Then the units the tap depends on are marked (walking the
 * list backwards from the tap) and only those are added to the model, so a tap inside a block
 * builds no dead branch (the executor expects every layer but the output to be read).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "nn/cnn2d_inception.h"

enum { U_CONV, U_MAXPOOL, U_AVGPOOL, U_CONCAT };
enum { MAX_UNITS = 160 };

typedef struct {
    int kind;
    char name[3][32];  /**< conv: conv2d_k, batch_normalization_k, activation_k; else name[0] */
    int nin, in[4];    /**< earlier units (-1: the input) */
    int kh, kw, s;     /**< kernel or pool window, stride */
    bool same;         /**< padding */
    int cout;
} unit;

typedef struct {
    unit u[MAX_UNITS];
    int n, nconv, nmax, navg, ncat;
} trunk;

static int conv_bn(trunk *t, int in, int cout, int kh, int kw, int s, bool same)
{
    unit *u = &t->u[t->n];
    int k = ++t->nconv;
    *u = (unit){.kind = U_CONV, .nin = 1, .in = {in}, .kh = kh, .kw = kw, .s = s, .same = same, .cout = cout};
    snprintf(u->name[0], sizeof u->name[0], "conv2d_%d", k);
    snprintf(u->name[1], sizeof u->name[1], "batch_normalization_%d", k);
    snprintf(u->name[2], sizeof u->name[2], "activation_%d", k);
    return t->n++;
}

/* MaxPooling2D((3, 3), strides=(2, 2)) valid, or AveragePooling2D((3, 3), strides=(1, 1), padding='same') */
static int pool(trunk *t, int in, bool max)
{
    unit *u = &t->u[t->n];
    *u = (unit){.kind = max ? U_MAXPOOL : U_AVGPOOL, .nin = 1, .in = {in}, .kh = 3, .kw = 3, .s = max ? 2 : 1, .same = !max};
    if (max) snprintf(u->name[0], sizeof u->name[0], "max_pooling2d_%d", ++t->nmax);
    else snprintf(u->name[0], sizeof u->name[0], "average_pooling2d_%d", ++t->navg);
    return t->n++;
}

/* name NULL: Keras' automatic concatenate_<k> */
static int concat(trunk *t, const char *name, int nin, const int *in)
{
    unit *u = &t->u[t->n];
    *u = (unit){.kind = U_CONCAT, .nin = nin};
    memcpy(u->in, in, (size_t)nin * sizeof *in);
    if (name) snprintf(u->name[0], sizeof u->name[0], "%s", name);
    else snprintf(u->name[0], sizeof u->name[0], "concatenate_%d", ++t->ncat);
    return t->n++;
}

/* The trunk of inception_v3.py, input to mixed10, statement for statement. */
static void describe(trunk *t)
{
    char name[16];
    int x = conv_bn(t, -1, 32, 3, 3, 2, false);
    x = conv_bn(t, x, 32, 3, 3, 1, false);
    x = conv_bn(t, x, 64, 3, 3, 1, true);
    x = pool(t, x, true);
    x = conv_bn(t, x, 80, 1, 1, 1, false);
    x = conv_bn(t, x, 192, 3, 3, 1, false);
    x = pool(t, x, true);
    /* mixed0, 1, 2: 35 x 35 x 256, 288, 288 */
    for (int i = 0; i < 3; i++) {
        int b1 = conv_bn(t, x, 64, 1, 1, 1, true);
        int b5 = conv_bn(t, x, 48, 1, 1, 1, true);
        b5 = conv_bn(t, b5, 64, 5, 5, 1, true);
        int bd = conv_bn(t, x, 64, 1, 1, 1, true);
        bd = conv_bn(t, bd, 96, 3, 3, 1, true);
        bd = conv_bn(t, bd, 96, 3, 3, 1, true);
        int bp = pool(t, x, false);
        bp = conv_bn(t, bp, i ? 64 : 32, 1, 1, 1, true);
        snprintf(name, sizeof name, "mixed%d", i);
        x = concat(t, name, 4, (int[]){b1, b5, bd, bp});
    }
    /* mixed3: 17 x 17 x 768 */
    {
        int b3 = conv_bn(t, x, 384, 3, 3, 2, false);
        int bd = conv_bn(t, x, 64, 1, 1, 1, true);
        bd = conv_bn(t, bd, 96, 3, 3, 1, true);
        bd = conv_bn(t, bd, 96, 3, 3, 2, false);
        int bp = pool(t, x, true);
        x = concat(t, "mixed3", 3, (int[]){b3, bd, bp});
    }
    /* mixed4 (128), mixed5, 6 (160), mixed7 (192): 17 x 17 x 768 */
    static const int c7[4] = {128, 160, 160, 192};
    for (int i = 0; i < 4; i++) {
        int c = c7[i];
        int b1 = conv_bn(t, x, 192, 1, 1, 1, true);
        int b7 = conv_bn(t, x, c, 1, 1, 1, true);
        b7 = conv_bn(t, b7, c, 1, 7, 1, true);
        b7 = conv_bn(t, b7, 192, 7, 1, 1, true);
        int bd = conv_bn(t, x, c, 1, 1, 1, true);
        bd = conv_bn(t, bd, c, 7, 1, 1, true);
        bd = conv_bn(t, bd, c, 1, 7, 1, true);
        bd = conv_bn(t, bd, c, 7, 1, 1, true);
        bd = conv_bn(t, bd, 192, 1, 7, 1, true);
        int bp = pool(t, x, false);
        bp = conv_bn(t, bp, 192, 1, 1, 1, true);
        snprintf(name, sizeof name, "mixed%d", 4 + i);
        x = concat(t, name, 4, (int[]){b1, b7, bd, bp});
    }
    /* mixed8: 8 x 8 x 1280 */
    {
        int b3 = conv_bn(t, x, 192, 1, 1, 1, true);
        b3 = conv_bn(t, b3, 320, 3, 3, 2, false);
        int b7 = conv_bn(t, x, 192, 1, 1, 1, true);
        b7 = conv_bn(t, b7, 192, 1, 7, 1, true);
        b7 = conv_bn(t, b7, 192, 7, 1, 1, true);
        b7 = conv_bn(t, b7, 192, 3, 3, 2, false);
        int bp = pool(t, x, true);
        x = concat(t, "mixed8", 3, (int[]){b3, b7, bp});
    }
    /* mixed9, 10: 8 x 8 x 2048 */
    for (int i = 0; i < 2; i++) {
        int b1 = conv_bn(t, x, 320, 1, 1, 1, true);
        int b3 = conv_bn(t, x, 384, 1, 1, 1, true);
        int b3a = conv_bn(t, b3, 384, 1, 3, 1, true);
        int b3b = conv_bn(t, b3, 384, 3, 1, 1, true);
        snprintf(name, sizeof name, "mixed9_%d", i);
        b3 = concat(t, name, 2, (int[]){b3a, b3b});
        int bd = conv_bn(t, x, 448, 1, 1, 1, true);
        bd = conv_bn(t, bd, 384, 3, 3, 1, true);
        int bda = conv_bn(t, bd, 384, 1, 3, 1, true);
        int bdb = conv_bn(t, bd, 384, 3, 1, 1, true);
        bd = concat(t, NULL, 2, (int[]){bda, bdb});
        int bp = pool(t, x, false);
        bp = conv_bn(t, bp, 192, 1, 1, 1, true);
        snprintf(name, sizeof name, "mixed%d", 9 + i);
        x = concat(t, name, 4, (int[]){b1, b3, bd, bp});
    }
}

/* ---- weights ---- */

/* The tensor of layer l whose name ends in "/<what>:0" (or is "<what>:0"), or NULL. */
static const kh5_tensor *tensor_named(const kh5_layer *l, const char *what)
{
    char want[64];
    int n = snprintf(want, sizeof want, "%s:0", what);
    for (int i = 0; i < l->ntensors; i++) {
        const char *s = l->t[i].name;
        size_t ls = strlen(s);
        if (ls >= (size_t)n && !strcmp(s + ls - n, want) && (ls == (size_t)n || s[ls - n - 1] == '/')) return &l->t[i];
    }
    return NULL;
}

static int shape_error(const char *layer, const kh5_tensor *t, const int64_t *want, int nd)
{
    char got[64] = "", exp[64] = "";
    for (int a = 0; a < t->ndim && a < 4; a++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", a ? "," : "", (long long)t->shape[a]);
    for (int a = 0; a < nd; a++)
        snprintf(exp + strlen(exp), sizeof exp - strlen(exp), "%s%lld", a ? "," : "", (long long)want[a]);
    return error_set("inception_v3: layer %s: weight %s: shape [%s], expected [%s]", layer, t->name, got, exp);
}

static int check_shape(const char *layer, const kh5_tensor *t, const int64_t *want, int nd)
{
    bool ok = t->ndim == nd;
    for (int a = 0; ok && a < nd; a++) ok = t->shape[a] == want[a];
    return ok ? 0 : shape_error(layer, t, want, nd);
}

/*
 * The conv kernel [kh, kw, cin, cout] (no bias: use_bias = false) and the BN beta, moving_mean,
 * moving_variance [cout] (gamma absent with scale = false; used if a file has one).
 */
static int conv_weights(const kh5_weights *w, const unit *u, int cin, const float **kernel, const float *bn[4])
{
    const kh5_layer *c = kh5_layer_find(w, u->name[0]), *b = kh5_layer_find(w, u->name[1]);
    if (!c) return error_set("inception_v3: layer %s: not in the weights file", u->name[0]);
    if (!b) return error_set("inception_v3: layer %s: not in the weights file", u->name[1]);
    if (c->ntensors != 1)
        return error_set("inception_v3: layer %s: %d weight tensors, expected 1 (a kernel, no bias)", u->name[0], c->ntensors);
    int64_t wk[4] = {u->kh, u->kw, cin, u->cout}, wc[1] = {u->cout};
    if (check_shape(u->name[0], &c->t[0], wk, 4)) return -1;
    *kernel = c->t[0].data;
    static const char *const what[4] = {"gamma", "beta", "moving_mean", "moving_variance"};
    int found = 0;
    for (int i = 0; i < 4; i++) {
        const kh5_tensor *t = tensor_named(b, what[i]);
        bn[i] = NULL;
        if (!t && i > 0)
            return error_set("inception_v3: layer %s: no weight %s/%s:0", u->name[1], u->name[1], what[i]);
        if (!t) continue;
        if (check_shape(u->name[1], t, wc, 1)) return -1;
        bn[i] = t->data;
        found++;
    }
    if (found != b->ntensors)
        return error_set("inception_v3: layer %s: %d weight tensors, expected %d (beta, moving_mean, moving_variance%s)",
                         u->name[1], b->ntensors, found, bn[0] ? ", gamma" : "");
    return 0;
}

/* ---- building ---- */

cnn2d_model *cnn2d_inception_v3(const kh5_weights *w, int in_h, int in_w, const char *tap, int backend)
{
    if (!tap) tap = "mixed5";
    if (in_h < 75 || in_w < 75) {
        error_set("inception_v3: input %dx%d: at least 75x75 (mixed10 would be empty)", in_h, in_w);
        return NULL;
    }
    trunk *t = xcalloc(1, sizeof *t);
    describe(t);
    /* the tap: a unit and which of its Keras layers (0 conv, 1 BN, 2 activation or the whole unit) */
    int tu = -1, stage = 2;
    for (int i = 0; i < t->n && tu < 0; i++)
        for (int s = 0; s < 3; s++)
            if (t->u[i].name[s][0] && !strcmp(t->u[i].name[s], tap)) {
                tu = i, stage = s;
                break;
            }
    if (tu < 0) {
        error_set("inception_v3: no layer named \"%s\" up to mixed10 (conv2d_<k>, batch_normalization_<k>, "
                  "activation_<k> for k = 1..%d, max_pooling2d_1..%d, average_pooling2d_1..%d, mixed0..mixed10, "
                  "mixed9_0, mixed9_1, concatenate_1..%d)", tap, t->nconv, t->nmax, t->navg, t->ncat);
        free(t);
        return NULL;
    }
    bool need[MAX_UNITS] = {false};
    need[tu] = true;
    for (int i = tu; i >= 0; i--)
        if (need[i])
            for (int k = 0; k < t->u[i].nin; k++)
                if (t->u[i].in[k] >= 0) need[t->u[i].in[k]] = true;
    cnn2d_model *m = cnn2d_new(in_h, in_w, 3, backend);
    int at[MAX_UNITS]; /* unit -> model layer */
    int err = 0;
    for (int i = 0; i <= tu && !err; i++) {
        if (!need[i]) continue;
        const unit *u = &t->u[i];
        int in[4];
        for (int k = 0; k < u->nin; k++) in[k] = u->in[k] < 0 ? 0 : at[u->in[k]];
        const cnn2d_layer *x = &m->layers[in[0]];
        nn2d_pad pad = u->same ? nn2d_pad_same(x->h, x->w, u->kh, u->kw, u->s, u->s) : nn2d_pad_valid();
        switch (u->kind) {
        case U_CONV: {
            const float *kernel = NULL, *bn[4];
            if (conv_weights(w, u, x->c, &kernel, bn)) {
                err = -1;
                break;
            }
            int st = i == tu ? stage : 2;
            if (st == 0) {
                at[i] = cnn2d_add_conv(m, u->name[0], in[0], u->kh, u->kw, u->s, u->s, pad, 1, u->cout, kernel, NULL,
                                       NN2D_ACT_NONE);
                break;
            }
            size_t nw = (size_t)u->kh * u->kw * x->c * u->cout;
            float *wf = xmalloc(nw * sizeof *wf), *bias = xcalloc((size_t)u->cout, sizeof *bias);
            memcpy(wf, kernel, nw * sizeof *wf);
            nn2d_fold_bn(u->kh, u->kw, x->c, u->cout, wf, bias, bn[0], bn[1], bn[2], bn[3], 1e-3);
            at[i] = cnn2d_add_conv(m, u->name[st], in[0], u->kh, u->kw, u->s, u->s, pad, 1, u->cout, wf, bias,
                                   st == 2 ? NN2D_ACT_RELU : NN2D_ACT_NONE);
            free(wf);
            free(bias);
            break;
        }
        case U_MAXPOOL:
        case U_AVGPOOL:
            at[i] = cnn2d_add_pool(m, u->name[0], u->kind == U_MAXPOOL ? CNN2D_MAXPOOL : CNN2D_AVGPOOL, in[0], u->kh,
                                   u->kw, u->s, u->s, pad);
            break;
        case U_CONCAT: at[i] = cnn2d_add_concat(m, u->name[0], u->nin, in); break;
        }
    }
    free(t);
    if (err) {
        cnn2d_free(m);
        return NULL;
    }
    cnn2d_finish(m);
    return m;
}
