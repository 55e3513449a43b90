/**
 * @file cnn2d_keras.c
 * @brief VGG16, VGG19 and DenseNet121 from Keras HDF5 weights, matched by weighted-layer order
 * (see cnn2d_keras.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "nn/cnn2d_keras.h"

/* The builder: the next weighted layer of the file to match, the tap, and how it went. */
typedef struct {
    cnn2d_model *m;
    const kh5_weights *w;
    const char *file, *model, *tap;
    double eps; /**< BatchNorm epsilon */
    int next;  /**< the file's next weighted layer */
    bool done; /**< the tap is built */
    int err;
} kbuild;

static bool is_tap(const kbuild *b, const char *name) { return !strcmp(b->tap, name); }

/* The two names agree once '/' is read as '_' (old DenseNet files: conv1/conv). */
static bool same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (*a != *b && !((*a == '/' || *a == '_') && (*b == '/' || *b == '_'))) return false;
    return *a == *b;
}

static void dims_text(char *s, size_t n, int ndim, const int64_t *d)
{
    s[0] = 0;
    for (int a = 0; a < ndim && a < 4; a++)
        if (d[a] < 0) snprintf(s + strlen(s), n - strlen(s), "%s*", a ? "," : "");
        else snprintf(s + strlen(s), n - strlen(s), "%s%lld", a ? "," : "", (long long)d[a]);
}

/*
 * The next weighted layer of the file as topology layer `name`: k tensors of want[i] (ndim[i]
 * axes; -1 in want: any extent, reported back through want). out[i]: the data.
 */
static int take(kbuild *b, const char *name, int k, const int *ndim, int64_t want[][4], const float **out)
{
    if (b->err) return -1;
    if (b->next >= b->w->nlayers)
        return b->err = error_set("%s: layer %s: missing: the file has %d weighted layers, and %s is %s's weighted "
                                  "layer %d", b->file, name, b->w->nlayers, name, b->model, b->next + 1);
    int idx = b->next++;
    const kh5_layer *l = &b->w->layers[idx];
    char here[320];
    if (same_name(l->name, name)) snprintf(here, sizeof here, "layer %s (weighted layer %d)", l->name, idx + 1);
    else snprintf(here, sizeof here, "layer %s (weighted layer %d; %s expects %s there)", l->name, idx + 1, b->model, name);
    if (l->ntensors != k)
        return b->err = error_set("%s: %s: %d weight tensors, expected %d (%s)", b->file, here, l->ntensors, k,
                                  k == 4 ? "BatchNorm gamma, beta, moving mean, moving variance"
                                  : k == 2 ? "kernel, bias" : "kernel");
    for (int i = 0; i < k; i++) {
        const kh5_tensor *t = &l->t[i];
        bool ok = t->ndim == ndim[i];
        for (int a = 0; ok && a < ndim[i]; a++) ok = want[i][a] < 0 || t->shape[a] == want[i][a];
        if (!ok) {
            char got[80], exp[80];
            dims_text(got, sizeof got, t->ndim, t->shape);
            dims_text(exp, sizeof exp, ndim[i], want[i]);
            return b->err = error_set("%s: %s: weight %s: shape [%s], expected [%s]", b->file, here, t->name, got, exp);
        }
        for (int a = 0; a < ndim[i]; a++) want[i][a] = t->shape[a];
        out[i] = t->data;
    }
    return 0;
}

/* A conv kernel [k, k, cin, cout] (and its bias when `bias`). */
static int take_conv(kbuild *b, const char *name, int k, int cin, int cout, bool bias, const float **out)
{
    int nd[2] = {4, 1};
    int64_t want[2][4] = {{k, k, cin, cout}, {cout}};
    return take(b, name, bias ? 2 : 1, nd, want, out);
}

/* A BatchNorm's gamma, beta, moving mean, moving variance over c channels. */
static int take_bn(kbuild *b, const char *name, int c, const float **out)
{
    int nd[4] = {1, 1, 1, 1};
    int64_t want[4][4] = {{c}, {c}, {c}, {c}};
    return take(b, name, 4, nd, want, out);
}

/* Marks the tap done when `name` is it; returns i. */
static int mark(kbuild *b, int i, const char *name)
{
    if (is_tap(b, name)) b->done = true;
    return i;
}

static bool busy(const kbuild *b) { return b->err || b->done; }

/* conv k x k stride s, zero padding p on every side, [bias], act (a Keras Conv2D's own activation:
 * its output is after it); no BN after it. */
static int conv_layer(kbuild *b, int in, const char *conv, int k, int s, int p, bool bias, int cout, nn2d_act act)
{
    if (busy(b)) return in;
    const float *kw[2] = {NULL, NULL};
    if (take_conv(b, conv, k, b->m->layers[in].c, cout, bias, kw)) return in;
    nn2d_pad pad = {p, p, p, p};
    return mark(b, cnn2d_add_conv(b->m, conv, in, k, k, s, s, pad, 1, cout, kw[0], bias ? kw[1] : NULL, act), conv);
}

/* conv (no bias) then BN folded, then ReLU: conv1, block _1_; taps conv / bn / relu. */
static int conv_bn_relu(kbuild *b, int in, const char *conv, const char *bn, const char *relu, int k, int s, int p,
                        int cout)
{
    if (busy(b)) return in;
    cnn2d_model *m = b->m;
    int cin = m->layers[in].c;
    const float *kw[1] = {NULL}, *bnw[4] = {NULL};
    if (take_conv(b, conv, k, cin, cout, false, kw) || take_bn(b, bn, cout, bnw)) return in;
    nn2d_pad pad = {p, p, p, p};
    if (is_tap(b, conv)) return mark(b, cnn2d_add_conv(m, conv, in, k, k, s, s, pad, 1, cout, kw[0], NULL, NN2D_ACT_NONE), conv);
    size_t nw = (size_t)k * k * cin * cout;
    float *w = xmalloc(nw * sizeof *w), *bb = xcalloc((size_t)cout, sizeof *bb);
    memcpy(w, kw[0], nw * sizeof *w);
    nn2d_fold_bn(k, k, cin, cout, w, bb, bnw[0], bnw[1], bnw[2], bnw[3], b->eps);
    bool stop = is_tap(b, bn);
    int i = cnn2d_add_conv(m, stop ? bn : relu, in, k, k, s, s, pad, 1, cout, w, bb, stop ? NN2D_ACT_NONE : NN2D_ACT_RELU);
    free(w), free(bb);
    return mark(b, i, stop ? bn : relu);
}

/* Pre-activation BN + ReLU: y = relu(x scale + shift) per channel, a 1x1 depthwise conv (groups = C). */
static int bn_relu(kbuild *b, int in, const char *bn, const char *relu)
{
    if (busy(b)) return in;
    int c = b->m->layers[in].c;
    const float *bnw[4] = {NULL};
    if (take_bn(b, bn, c, bnw)) return in;
    float *scale = xmalloc((size_t)c * sizeof *scale), *shift = xmalloc((size_t)c * sizeof *shift);
    for (int j = 0; j < c; j++) {
        double s = (double)bnw[0][j] / sqrt((double)bnw[3][j] + b->eps);
        scale[j] = (float)s;
        shift[j] = (float)((double)bnw[1][j] - (double)bnw[2][j] * s);
    }
    bool stop = is_tap(b, bn);
    int i = cnn2d_add_conv(b->m, stop ? bn : relu, in, 1, 1, 1, 1, nn2d_pad_valid(), c, c, scale, shift,
                           stop ? NN2D_ACT_NONE : NN2D_ACT_RELU);
    free(scale), free(shift);
    return mark(b, i, stop ? bn : relu);
}

static int pool(kbuild *b, int in, const char *name, cnn2d_op op, int k, int s, int p)
{
    if (busy(b)) return in;
    return mark(b, cnn2d_add_pool(b->m, name, op, in, k, k, s, s, (nn2d_pad){p, p, p, p}), name);
}

/* Dense [in, out] (out: -1 = the file's) + act; predictions adds the softmax. */
static int dense(kbuild *b, int in, const char *name, int out, nn2d_act act, bool softmax)
{
    if (busy(b)) return in;
    const cnn2d_layer *x = &b->m->layers[in];
    int nd[2] = {2, 1};
    int64_t want[2][4] = {{(int64_t)x->h * x->w * x->c, out}, {out}};
    const float *t[2];
    if (take(b, name, 2, nd, want, t)) return in;
    if ((int64_t)want[1][0] != want[0][1]) {
        b->err = error_set("%s: layer %s: bias of %lld values for %lld outputs", b->file, name, (long long)want[1][0],
                           (long long)want[0][1]);
        return in;
    }
    char dn[CNN2D_NAME];
    snprintf(dn, sizeof dn, "%s_logits", name);
    int i = cnn2d_add_dense(b->m, softmax ? dn : name, in, (int)want[0][1], t[0], t[1], act);
    if (softmax) i = cnn2d_add_softmax(b->m, name, i);
    return mark(b, i, name);
}

static cnn2d_model *finish(kbuild *b, const char *last)
{
    if (!b->err && !b->done)
        b->err = error_set("%s: no layer named \"%s\" up to %s (taps: the Keras layer names)", b->model, b->tap, last);
    if (b->err) {
        cnn2d_free(b->m);
        return NULL;
    }
    cnn2d_finish(b->m);
    return b->m;
}

/* Whether `tap` names a layer of the model (checked first: an unknown tap is not a short file). */
bool cnn2d_keras_tap_known(const char *model, const char *tap)
{
    int B = 0, L = 0, n = -1;
    char sfx[16] = "";
    if (!strncmp(model, "vgg", 3)) {
        int depth = !strcmp(model, "vgg16") ? 16 : 19;
        if (!strcmp(tap, "fc1") || !strcmp(tap, "fc2") || !strcmp(tap, "predictions")) return true;
        if (sscanf(tap, "block%d_pool%n", &B, &n) == 1 && n == (int)strlen(tap)) return B >= 1 && B <= 5;
        n = -1;
        if (sscanf(tap, "block%d_conv%d%n", &B, &L, &n) == 2 && n == (int)strlen(tap))
            return B >= 1 && B <= 5 && L >= 1 && L <= (B <= 2 ? 2 : depth == 16 ? 3 : 4);
        return false;
    }
    static const char *const fixed[] = {"conv1_conv", "conv1_bn", "conv1_relu", "pool1", "bn", "relu", "avg_pool", "predictions"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (!strcmp(tap, fixed[i])) return true;
    static const int blocks[4] = {6, 12, 24, 16};
    if (sscanf(tap, "conv%d_block%d_%15s%n", &B, &L, sfx, &n) == 3 && n == (int)strlen(tap) && B >= 2 && B <= 5 &&
        L >= 1 && L <= blocks[B - 2]) {
        static const char *const ok[] = {"0_bn", "0_relu", "1_conv", "1_bn", "1_relu", "2_conv", "concat"};
        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
            if (!strcmp(sfx, ok[i])) return true;
        return false;
    }
    n = -1;
    if (sscanf(tap, "pool%d_%15s%n", &B, sfx, &n) == 2 && n == (int)strlen(tap) && B >= 2 && B <= 4)
        return !strcmp(sfx, "bn") || !strcmp(sfx, "relu") || !strcmp(sfx, "conv") || !strcmp(sfx, "pool");
    return false;
}

static int start(kbuild *b, const kh5_weights *w, const char *file, const char *model, int in_h, int in_w,
                 const char *tap, const char *dflt, int backend)
{
    *b = (kbuild){NULL, w, file ? file : "(weights)", model, tap && tap[0] ? tap : dflt, CNN2D_DENSENET_BN_EPS, 0, false, 0};
    if (in_h < 32 || in_w < 32)
        return error_set("%s: input %dx%d: both sides must be at least 32 pixels", model, in_h, in_w);
    if (!cnn2d_keras_tap_known(model, b->tap))
        return error_set("%s: no layer named \"%s\" (taps: the Keras layer names, e.g. %s)", model, b->tap, dflt);
    b->m = cnn2d_new(in_h, in_w, 3, backend);
    return 0;
}

/* ---- VGG ---- */

cnn2d_model *cnn2d_vgg(int depth, const kh5_weights *w, const char *file, int in_h, int in_w, const char *tap,
                       int backend)
{
    if (depth != 16 && depth != 19) {
        error_set("vgg: depth %d: 16 or 19", depth);
        return NULL;
    }
    kbuild b;
    if (start(&b, w, file, depth == 16 ? "vgg16" : "vgg19", in_h, in_w, tap, "block5_pool", backend)) return NULL;
    static const int width[5] = {64, 128, 256, 512, 512};
    int x = 0;
    for (int blk = 1; blk <= 5; blk++) {
        int n = blk <= 2 ? 2 : depth == 16 ? 3 : 4;
        char name[64];
        for (int i = 1; i <= n; i++) {
            snprintf(name, sizeof name, "block%d_conv%d", blk, i);
            x = conv_layer(&b, x, name, 3, 1, 1, true, width[blk - 1], NN2D_ACT_RELU);
        }
        snprintf(name, sizeof name, "block%d_pool", blk);
        x = pool(&b, x, name, CNN2D_MAXPOOL, 2, 2, 0);
    }
    /* the top (Flatten is the dense layer's own HWC reading) */
    x = dense(&b, x, "fc1", 4096, NN2D_ACT_RELU, false);
    x = dense(&b, x, "fc2", 4096, NN2D_ACT_RELU, false);
    dense(&b, x, "predictions", -1, NN2D_ACT_NONE, true);
    return finish(&b, "predictions");
}

cnn2d_model *cnn2d_vgg16(const kh5_weights *w, const char *file, int in_h, int in_w, const char *tap, int backend)
{
    return cnn2d_vgg(16, w, file, in_h, in_w, tap, backend);
}

cnn2d_model *cnn2d_vgg19(const kh5_weights *w, const char *file, int in_h, int in_w, const char *tap, int backend)
{
    return cnn2d_vgg(19, w, file, in_h, in_w, tap, backend);
}

/* ---- DenseNet121 ---- */

cnn2d_model *cnn2d_densenet121(const kh5_weights *w, const char *file, int in_h, int in_w, const char *tap,
                               double bn_eps, int backend)
{
    kbuild b;
    if (start(&b, w, file, "densenet121", in_h, in_w, tap, "relu", backend)) return NULL;
    b.eps = bn_eps;
    /* stem: ZeroPad 3 + 7x7 s2 valid = padding 3; ZeroPad 1 + MaxPool 3 s2 = a max-pool with padding
     * 1 (post-ReLU input >= 0: a padded zero never beats the window's maximum) */
    int x = conv_bn_relu(&b, 0, "conv1_conv", "conv1_bn", "conv1_relu", 7, 2, 3, 64);
    x = pool(&b, x, "pool1", CNN2D_MAXPOOL, 3, 2, 1);
    static const int blocks[4] = {6, 12, 24, 16};
    char n[8][64];
    for (int B = 0; B < 4; B++) {
        for (int L = 1; L <= blocks[B]; L++) {
            const char *sfx[7] = {"0_bn", "0_relu", "1_conv", "1_bn", "1_relu", "2_conv", "concat"};
            for (int k = 0; k < 7; k++) snprintf(n[k], sizeof n[k], "conv%d_block%d_%s", B + 2, L, sfx[k]);
            int y = bn_relu(&b, x, n[0], n[1]);
            y = conv_bn_relu(&b, y, n[2], n[3], n[4], 1, 1, 0, 128);
            y = conv_layer(&b, y, n[5], 3, 1, 1, false, 32, NN2D_ACT_NONE);
            if (!busy(&b)) {
                int in[2] = {x, y};
                x = mark(&b, cnn2d_add_concat(b.m, n[6], 2, in), n[6]);
            }
        }
        if (B == 3) break;
        const char *sfx[4] = {"bn", "relu", "conv", "pool"};
        for (int k = 0; k < 4; k++) snprintf(n[k], sizeof n[k], "pool%d_%s", B + 2, sfx[k]);
        x = bn_relu(&b, x, n[0], n[1]);
        if (!busy(&b)) x = conv_layer(&b, x, n[2], 1, 1, 0, false, b.m->layers[x].c / 2, NN2D_ACT_NONE);
        x = pool(&b, x, n[3], CNN2D_AVGPOOL, 2, 2, 0);
    }
    x = bn_relu(&b, x, "bn", "relu");
    if (!busy(&b)) x = mark(&b, cnn2d_add_gap(b.m, "avg_pool", x), "avg_pool");
    dense(&b, x, "predictions", -1, NN2D_ACT_NONE, true);
    return finish(&b, "predictions");
}
