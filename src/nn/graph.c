/**
 * @file graph.c
 * @brief Graph building, parameter layout, and the forward/backward drivers (see graph.h).
 * Memory-only nodes (input, slice, add, concat, reshape) are handled here for every backend.
 */
#include "nn/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/clock.h"
#include "core/rng.h"
#include "nn/ops.h"

void nn_graph_init(nn_graph *g, nn_backend backend)
{
    memset(g, 0, sizeof *g);
    g->backend = backend;
    g->bn_eps = 1e-5f;
    g->bn_momentum = 0.1f;
    if (backend == NN_BACKEND_DNNL) nn_dnnl_engine_init(g);
}

static void free_activations(nn_graph *g)
{
    for (int i = 0; i < g->nnodes; i++) {
        nn_node *n = &g->nodes[i];
        if (n->op != NN_RESHAPE) {
            free(n->y);
            free(n->dy);
        }
        n->y = n->dy = NULL;
        if (g->backend == NN_BACKEND_DNNL) nn_dnnl_node_release(n);
    }
    free(g->scratch);
    g->scratch = NULL;
    g->scratch_n = 0;
}

void nn_graph_free(nn_graph *g)
{
    free_activations(g);
    for (int i = 0; i < g->nnodes; i++) {
        free(g->nodes[i].mean);
        free(g->nodes[i].var);
    }
    free(g->nodes);
    free(g->tensors);
    free(g->params);
    free(g->grads);
    free(g->buffers);
    free(g->bn_acc);
    if (g->backend == NN_BACKEND_DNNL) nn_dnnl_engine_free(g);
    memset(g, 0, sizeof *g);
}

/* ---- building ---- */

static nn_node *add_node(nn_graph *g, nn_op op, const int *in, int nin, nn_dims out)
{
    if (g->nnodes == g->cap_nodes) {
        g->cap_nodes = g->cap_nodes ? 2 * g->cap_nodes : 64;
        g->nodes = realloc(g->nodes, (size_t)g->cap_nodes * sizeof *g->nodes);
        ALLOC_CHECK(g->nodes, g->cap_nodes);
    }
    nn_node *n = &g->nodes[g->nnodes++];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->nin = nin;
    n->weight = n->bias = -1;
    out.n = 1;
    n->out = out;
    n->needs_grad = op != NN_INPUT;
    for (int i = 0; i < nin; i++) {
        n->in[i] = in[i];
        g->nodes[in[i]].consumers++;
    }
    if (op == NN_SLICE) n->needs_grad = g->nodes[in[0]].needs_grad;
    return n;
}

static int add_tensor(nn_graph *g, const char *owner, const char *suffix, nn_tensor_kind kind,
                      int ndim, const int *shape, int fan_in)
{
    if (g->ntensors == g->cap_tensors) {
        g->cap_tensors = g->cap_tensors ? 2 * g->cap_tensors : 64;
        g->tensors = realloc(g->tensors, (size_t)g->cap_tensors * sizeof *g->tensors);
        ALLOC_CHECK(g->tensors, g->cap_tensors);
    }
    nn_tensor *t = &g->tensors[g->ntensors];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s.%s", owner, suffix);
    t->kind = kind;
    t->ndim = ndim;
    t->count = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->count *= (size_t)shape[i];
    }
    t->fan_in = fan_in;
    t->offset = g->nparams;
    g->nparams += t->count;
    return g->ntensors++;
}

static nn_dims in_dims(const nn_graph *g, int in) { return g->nodes[in].out; }

int nn_input(nn_graph *g, int c, int d, int h, int w)
{
    add_node(g, NN_INPUT, NULL, 0, (nn_dims){1, c, d, h, w});
    return g->nnodes - 1;
}

int nn_slice(nn_graph *g, int in, int channel)
{
    nn_dims x = in_dims(g, in);
    nn_node *n = add_node(g, NN_SLICE, &in, 1, (nn_dims){1, 1, x.d, x.h, x.w});
    n->channel = channel;
    return g->nnodes - 1;
}

int nn_conv(nn_graph *g, int in, const char *name, int cout, const int k[3], const int s[3],
            const int p[3])
{
    nn_dims x = in_dims(g, in);
    nn_dims y = {1, cout, nn_conv_out(x.d, k[0], s[0], p[0]), nn_conv_out(x.h, k[1], s[1], p[1]),
                 nn_conv_out(x.w, k[2], s[2], p[2])};
    nn_node *n = add_node(g, NN_CONV, &in, 1, y);
    snprintf(n->name, sizeof n->name, "%s", name);
    memcpy(n->k, k, sizeof n->k);
    memcpy(n->s, s, sizeof n->s);
    memcpy(n->p, p, sizeof n->p);
    int fan_in = x.c * k[0] * k[1] * k[2];
    int wshape[5] = {cout, x.c, k[0], k[1], k[2]};
    n->weight = add_tensor(g, name, "weight", NN_TENSOR_WEIGHT, 5, wshape, fan_in);
    n->bias = add_tensor(g, name, "bias", NN_TENSOR_BIAS, 1, &cout, fan_in);
    return g->nnodes - 1;
}

int nn_bn(nn_graph *g, int in, const char *name)
{
    nn_dims x = in_dims(g, in);
    nn_node *n = add_node(g, NN_BN, &in, 1, x);
    snprintf(n->name, sizeof n->name, "%s", name);
    n->weight = add_tensor(g, name, "weight", NN_TENSOR_GAMMA, 1, &x.c, 0);
    n->bias = add_tensor(g, name, "bias", NN_TENSOR_BETA, 1, &x.c, 0);
    n->running = g->nbuffers;
    g->nbuffers += 2 * (size_t)x.c;
    n->mean = xcalloc((size_t)x.c, sizeof *n->mean);
    n->var = xcalloc((size_t)x.c, sizeof *n->var);
    return g->nnodes - 1;
}

int nn_relu(nn_graph *g, int in)
{
    add_node(g, NN_RELU, &in, 1, in_dims(g, in));
    return g->nnodes - 1;
}

int nn_tanh(nn_graph *g, int in)
{
    add_node(g, NN_TANH, &in, 1, in_dims(g, in));
    return g->nnodes - 1;
}

int nn_maxpool(nn_graph *g, int in, const int k[3])
{
    nn_dims x = in_dims(g, in);
    nn_node *n = add_node(g, NN_MAXPOOL, &in, 1, (nn_dims){1, x.c, x.d / k[0], x.h / k[1], x.w / k[2]});
    memcpy(n->k, k, sizeof n->k);
    return g->nnodes - 1;
}

int nn_upsample(nn_graph *g, int in, const int f[3])
{
    nn_dims x = in_dims(g, in);
    nn_node *n = add_node(g, NN_UPSAMPLE, &in, 1, (nn_dims){1, x.c, x.d * f[0], x.h * f[1], x.w * f[2]});
    memcpy(n->k, f, sizeof n->k);
    return g->nnodes - 1;
}

int nn_linear(nn_graph *g, int in, const char *name, int out_features)
{
    int fan_in = (int)nn_sample(in_dims(g, in));
    nn_node *n = add_node(g, NN_LINEAR, &in, 1, (nn_dims){1, out_features, 1, 1, 1});
    snprintf(n->name, sizeof n->name, "%s", name);
    int wshape[2] = {out_features, fan_in};
    n->weight = add_tensor(g, name, "weight", NN_TENSOR_WEIGHT, 2, wshape, fan_in);
    n->bias = add_tensor(g, name, "bias", NN_TENSOR_BIAS, 1, &out_features, fan_in);
    return g->nnodes - 1;
}

int nn_add(nn_graph *g, int a, int b)
{
    nn_dims x = in_dims(g, a), y = in_dims(g, b);
    if (nn_sample(x) != nn_sample(y) || x.c != y.c)
        synobs_fatal(__FILE__, __LINE__, "nn", "a model-building bug", "add of unequal shapes");
    int in[2] = {a, b};
    add_node(g, NN_ADD, in, 2, x);
    return g->nnodes - 1;
}

int nn_concat(nn_graph *g, const int *in, int nin)
{
    nn_dims x = in_dims(g, in[0]);
    int c = 0;
    for (int i = 0; i < nin; i++) {
        nn_dims xi = in_dims(g, in[i]);
        if (nn_spatial(xi) != nn_spatial(x))
            synobs_fatal(__FILE__, __LINE__, "nn", "a model-building bug", "concat of unequal spatial shapes");
        c += xi.c;
    }
    x.c = c;
    add_node(g, NN_CONCAT, in, nin, x);
    return g->nnodes - 1;
}

int nn_reshape(nn_graph *g, int in, int c, int d, int h, int w)
{
    nn_dims y = {1, c, d, h, w};
    if (nn_sample(y) != nn_sample(in_dims(g, in)))
        synobs_fatal(__FILE__, __LINE__, "nn", "a model-building bug", "reshape changes the size");
    add_node(g, NN_RESHAPE, &in, 1, y);
    return g->nnodes - 1;
}

void nn_graph_finalize(nn_graph *g)
{
    g->params = xcalloc(g->nparams, sizeof *g->params);
    g->grads = xcalloc(g->nparams, sizeof *g->grads);
    g->buffers = xcalloc(g->nbuffers ? g->nbuffers : 1, sizeof *g->buffers);
    for (int i = 0; i < g->nnodes; i++) {
        const nn_node *n = &g->nodes[i];
        /* A reshape is a view: its input's gradient is its own, so it must be the only consumer. */
        if (n->op == NN_RESHAPE && g->nodes[n->in[0]].consumers != 1)
            synobs_fatal(__FILE__, __LINE__, "nn", "a model-building bug", "reshape of a shared node");
    }
}

void nn_graph_set_batch(nn_graph *g, int batch)
{
    free_activations(g);
    g->batch = batch;
    size_t most = 0;
    for (int i = 0; i < g->nnodes; i++) {
        nn_node *n = &g->nodes[i];
        n->out.n = 1;
        size_t count = (size_t)batch * nn_sample(n->out);
        if (n->op == NN_RESHAPE) {
            n->y = g->nodes[n->in[0]].y;
            n->dy = g->nodes[n->in[0]].dy;
            continue;
        }
        n->y = xmalloc(count * sizeof *n->y);
        n->dy = n->needs_grad ? xmalloc(count * sizeof *n->dy) : NULL;
        if (n->consumers > 1 && count > most) most = count;
    }
    g->scratch_n = most;
    g->scratch = most ? xmalloc(most * sizeof *g->scratch) : NULL;
    if (g->bn_folded) nn_graph_fold_bn(g); /* the backend state, folded weights included, was released */
}

void nn_graph_init_params(nn_graph *g, uint64_t seed)
{
    rng r;
    rng_seed(&r, seed, 0x6e6e696e6974ULL);
    for (int i = 0; i < g->ntensors; i++) {
        const nn_tensor *t = &g->tensors[i];
        float *p = g->params + t->offset;
        /* kaiming_uniform(a = √5) and PyTorch's bias rule both give U(−1/√fan_in, 1/√fan_in). */
        double bound = t->fan_in > 0 ? 1.0 / sqrt((double)t->fan_in) : 0.0;
        for (size_t j = 0; j < t->count; j++) {
            switch (t->kind) {
            case NN_TENSOR_WEIGHT:
            case NN_TENSOR_BIAS: p[j] = (float)((2.0 * rng_uniform(&r) - 1.0) * bound); break;
            case NN_TENSOR_GAMMA: p[j] = 1.0f; break;
            case NN_TENSOR_BETA: p[j] = 0.0f; break;
            }
        }
    }
    for (int i = 0; i < g->nnodes; i++) {
        const nn_node *n = &g->nodes[i];
        if (n->op != NN_BN) continue;
        for (int c = 0; c < n->out.c; c++) {
            g->buffers[n->running + c] = 0.0f;
            g->buffers[n->running + n->out.c + c] = 1.0f;
        }
    }
    g->bn_batches = 0;
}

/* ---- memory ops ---- */

static void slice_forward(const nn_graph *g, nn_node *n)
{
    const nn_node *x = &g->nodes[n->in[0]];
    size_t sp = nn_spatial(x->out);
    for (int b = 0; b < g->batch; b++)
        memcpy(n->y + b * sp, x->y + (b * (size_t)x->out.c + n->channel) * sp, sp * sizeof *n->y);
}

static void concat_forward(const nn_graph *g, nn_node *n)
{
    size_t per = nn_sample(n->out), off = 0;
    for (int i = 0; i < n->nin; i++) {
        const nn_node *x = &g->nodes[n->in[i]];
        size_t m = nn_sample(x->out);
        for (int b = 0; b < g->batch; b++) memcpy(n->y + b * per + off, x->y + b * m, m * sizeof *n->y);
        off += m;
    }
}

static void update_running(nn_graph *g, nn_node *n)
{
    int c = n->out.c;
    double m = (double)g->batch * nn_spatial(n->out);
    float *rm = g->buffers + n->running, *rv = rm + c, mom = g->bn_momentum;
    if (g->bn_defer) {
        double *am = g->bn_acc + n->running, *av = am + c;
        for (int j = 0; j < c; j++) {
            am[j] += n->mean[j];
            av[j] += (float)(n->var[j] * (m / (m - 1.0)));
        }
        return;
    }
    for (int j = 0; j < c; j++) {
        rm[j] = (1.0f - mom) * rm[j] + mom * n->mean[j];
        rv[j] = (1.0f - mom) * rv[j] + mom * (float)(n->var[j] * (m / (m - 1.0)));
    }
}

void nn_graph_bn_defer(nn_graph *g, bool defer)
{
    g->bn_defer = defer;
    if (defer && !g->bn_acc) g->bn_acc = xcalloc(g->nbuffers ? g->nbuffers : 1, sizeof *g->bn_acc);
    if (g->bn_acc) memset(g->bn_acc, 0, g->nbuffers * sizeof *g->bn_acc);
}

void nn_graph_bn_commit(nn_graph *g, const double *sums, int count)
{
    const float mom = g->bn_momentum;
    for (size_t j = 0; j < g->nbuffers; j++)
        g->buffers[j] = (1.0f - mom) * g->buffers[j] + mom * (float)(sums[j] / count);
    g->bn_batches++;
    if (g->bn_acc) memset(g->bn_acc, 0, g->nbuffers * sizeof *g->bn_acc);
}

/* On oneDNN, the number of nodes from i that may run as one folded convolution: 3 for
 * conv -> BN -> ReLU, 2 for conv -> BN, each feeding only the next; else 1. */
static int fusable(const nn_graph *g, int i)
{
    const nn_node *n = &g->nodes[i];
    if (g->backend != NN_BACKEND_DNNL || n->op != NN_CONV || n->consumers != 1 || i + 1 >= g->nnodes) return 1;
    const nn_node *bn = &g->nodes[i + 1];
    if (bn->op != NN_BN || bn->in[0] != i) return 1;
    if (i + 2 < g->nnodes && bn->consumers == 1 && g->nodes[i + 2].op == NN_RELU && g->nodes[i + 2].in[0] == i + 1)
        return 3;
    return 2;
}

void nn_graph_fold_bn(nn_graph *g)
{
    if (g->backend != NN_BACKEND_DNNL) return;
    for (int i = 0; i < g->nnodes; i++)
        if (fusable(g, i) > 1) nn_dnnl_fold(g, &g->nodes[i], &g->nodes[i + 1]);
    g->bn_folded = true;
}

static const char *const op_names[NN_OP_COUNT] = {
    [NN_INPUT] = "input",     [NN_SLICE] = "slice",   [NN_CONV] = "conv",     [NN_BN] = "batchnorm",
    [NN_RELU] = "relu",       [NN_TANH] = "tanh",     [NN_MAXPOOL] = "maxpool", [NN_UPSAMPLE] = "upsample",
    [NN_LINEAR] = "linear",   [NN_ADD] = "add",       [NN_CONCAT] = "concat", [NN_RESHAPE] = "reshape"};

static void profile_add(nn_graph *g, nn_op op, int dir, double t0)
{
    if (!g->profile) return;
    g->profile->seconds[op][dir] += clock_now() - t0;
    g->profile->calls[op][dir]++;
}

void nn_profile_print(const nn_profile *p, int per)
{
    for (int op = 0; op < NN_OP_COUNT; op++) {
        if (p->seconds[op][0] + p->seconds[op][1] < 1e-4 * per) continue;
        printf("  %-10s forward %8.2f ms (%3ld calls)  backward %8.2f ms (%3ld calls)\n", op_names[op],
               1e3 * p->seconds[op][0] / per, p->calls[op][0] / per, 1e3 * p->seconds[op][1] / per, p->calls[op][1] / per);
    }
}

const float *nn_forward(nn_graph *g, const float *x, bool training)
{
    if (training) g->bn_folded = false;
    for (int i = 0; i < g->nnodes; i++) {
        nn_node *n = &g->nodes[i];
        double t0 = g->profile ? clock_now() : 0.0;
        if (!training && g->bn_folded) {
            int k = fusable(g, i);
            if (k > 1) {
                nn_dnnl_conv_bn_infer(g, n, &g->nodes[i + k - 1], k == 3);
                profile_add(g, NN_CONV, 0, t0);
                i += k - 1;
                continue;
            }
        }
        size_t count = (size_t)g->batch * nn_sample(n->out);
        switch (n->op) {
        case NN_INPUT: memcpy(n->y, x, count * sizeof *n->y); break;
        case NN_SLICE: slice_forward(g, n); break;
        case NN_RESHAPE: break;
        case NN_CONCAT: concat_forward(g, n); break;
        case NN_ADD: {
            const float *a = g->nodes[n->in[0]].y, *b = g->nodes[n->in[1]].y;
            for (size_t j = 0; j < count; j++) n->y[j] = a[j] + b[j];
            break;
        }
        default:
            if (g->backend == NN_BACKEND_DNNL) nn_dnnl_node_forward(g, n, training);
            else nn_ref_node_forward(g, n, training);
            if (n->op == NN_BN && training) update_running(g, n);
        }
        profile_add(g, n->op, 0, t0);
    }
    if (training && !g->bn_defer) g->bn_batches++;
    return g->nodes[g->nnodes - 1].y;
}

/* Where a node's backward writes its input's gradient: straight into the input's dy, or into the
 * scratch buffer when the input has other consumers too (then added by deliver()). */
static float *grad_target(nn_graph *g, int in)
{
    nn_node *x = &g->nodes[in];
    if (!x->needs_grad) return NULL;
    return x->consumers > 1 ? g->scratch : x->dy;
}

static void deliver(nn_graph *g, int in, const float *dx)
{
    nn_node *x = &g->nodes[in];
    if (dx == NULL || dx == x->dy) return;
    size_t count = (size_t)g->batch * nn_sample(x->out);
    for (size_t j = 0; j < count; j++) x->dy[j] += dx[j];
}

void nn_backward(nn_graph *g, const float *dy_out)
{
    nn_node *last = &g->nodes[g->nnodes - 1];
    memcpy(last->dy, dy_out, (size_t)g->batch * nn_sample(last->out) * sizeof *dy_out);
    for (int i = 0; i < g->nnodes; i++) {
        nn_node *n = &g->nodes[i];
        if (n->consumers > 1 && n->dy) memset(n->dy, 0, (size_t)g->batch * nn_sample(n->out) * sizeof *n->dy);
    }
    for (int i = g->nnodes - 1; i >= 0; i--) {
        nn_node *n = &g->nodes[i];
        if (!n->needs_grad) continue;
        double t0 = g->profile ? clock_now() : 0.0;
        size_t count = (size_t)g->batch * nn_sample(n->out);
        switch (n->op) {
        case NN_INPUT:
        case NN_RESHAPE: break;
        case NN_SLICE: {
            /* Only reached when the input itself needs a gradient (never in COEmuNet). */
            nn_node *x = &g->nodes[n->in[0]];
            size_t sp = nn_spatial(x->out);
            float *dx = grad_target(g, n->in[0]);
            if (dx != x->dy) memset(dx, 0, (size_t)g->batch * nn_sample(x->out) * sizeof *dx);
            for (int b = 0; b < g->batch; b++)
                memcpy(dx + (b * (size_t)x->out.c + n->channel) * sp, n->dy + b * sp, sp * sizeof *dx);
            deliver(g, n->in[0], dx);
            break;
        }
        case NN_ADD:
            for (int k = 0; k < 2; k++) {
                float *dx = grad_target(g, n->in[k]);
                if (!dx) continue;
                memcpy(dx, n->dy, count * sizeof *dx);
                deliver(g, n->in[k], dx);
            }
            break;
        case NN_CONCAT: {
            size_t per = nn_sample(n->out), off = 0;
            for (int k = 0; k < n->nin; k++) {
                nn_node *x = &g->nodes[n->in[k]];
                size_t m = nn_sample(x->out);
                float *dx = grad_target(g, n->in[k]);
                if (dx) {
                    for (int b = 0; b < g->batch; b++) memcpy(dx + b * m, n->dy + b * per + off, m * sizeof *dx);
                    deliver(g, n->in[k], dx);
                }
                off += m;
            }
            break;
        }
        default: {
            float *dx = grad_target(g, n->in[0]);
            if (g->backend == NN_BACKEND_DNNL) nn_dnnl_node_backward(g, n, dx);
            else nn_ref_node_backward(g, n, dx);
            deliver(g, n->in[0], dx);
        }
        }
        profile_add(g, n->op, 1, t0);
        /* Parameters are laid out in node order, so every gradient from this node's first
         * tensor on is final now. */
        int first = n->weight >= 0 ? n->weight : n->bias;
        if (g->grad_ready && first >= 0) g->grad_ready(g->grad_ready_ctx, g->tensors[first].offset);
    }
    if (g->grad_ready) g->grad_ready(g->grad_ready_ctx, 0);
}

const nn_node *nn_output(const nn_graph *g) { return &g->nodes[g->nnodes - 1]; }

int nn_tensor_find(const nn_graph *g, const char *name)
{
    for (int i = 0; i < g->ntensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0) return i;
    return -1;
}

size_t nn_param_count(const nn_graph *g, const char *prefix)
{
    size_t total = 0, len = strlen(prefix);
    for (int i = 0; i < g->ntensors; i++)
        if (strncmp(g->tensors[i].name, prefix, len) == 0) total += g->tensors[i].count;
    return total;
}

/* ---- the reference backend ---- */

static nn_conv_geom conv_geom(const nn_graph *g, const nn_node *n)
{
    nn_conv_geom geo = {g->nodes[n->in[0]].out, n->out, {0}, {0}, {0}};
    geo.x.n = geo.y.n = g->batch;
    memcpy(geo.k, n->k, sizeof geo.k);
    memcpy(geo.s, n->s, sizeof geo.s);
    memcpy(geo.p, n->p, sizeof geo.p);
    return geo;
}

static nn_dims batch_dims(const nn_graph *g, nn_dims s)
{
    s.n = g->batch;
    return s;
}

void nn_ref_node_forward(nn_graph *g, nn_node *n, bool training)
{
    const nn_node *in = &g->nodes[n->in[0]];
    size_t count = (size_t)g->batch * nn_sample(n->out);
    const float *w = n->weight >= 0 ? g->params + g->tensors[n->weight].offset : NULL;
    const float *b = n->bias >= 0 ? g->params + g->tensors[n->bias].offset : NULL;
    switch (n->op) {
    case NN_CONV: {
        nn_conv_geom geo = conv_geom(g, n);
        nn_ref_conv_forward(&geo, in->y, w, b, n->y);
        break;
    }
    case NN_BN:
        if (training) nn_ref_bn_forward_train(batch_dims(g, n->out), in->y, w, b, g->bn_eps, n->y, n->mean, n->var);
        else {
            const float *rm = g->buffers + n->running;
            nn_ref_bn_forward_infer(batch_dims(g, n->out), in->y, w, b, rm, rm + n->out.c, g->bn_eps, n->y);
        }
        break;
    case NN_RELU: nn_ref_relu_forward(count, in->y, n->y); break;
    case NN_TANH: nn_ref_tanh_forward(count, in->y, n->y); break;
    case NN_MAXPOOL: nn_ref_maxpool_forward(batch_dims(g, in->out), batch_dims(g, n->out), n->k, in->y, n->y); break;
    case NN_UPSAMPLE: nn_ref_upsample_forward(batch_dims(g, in->out), n->k, in->y, n->y); break;
    case NN_LINEAR:
        nn_ref_linear_forward(g->batch, (int)nn_sample(in->out), n->out.c, in->y, w, b, n->y);
        break;
    default: synobs_fatal(__FILE__, __LINE__, "nn", "a graph bug", "op %d is not a numerical op", (int)n->op);
    }
}

void nn_ref_node_backward(nn_graph *g, nn_node *n, float *dx)
{
    const nn_node *in = &g->nodes[n->in[0]];
    size_t count = (size_t)g->batch * nn_sample(n->out);
    const float *w = n->weight >= 0 ? g->params + g->tensors[n->weight].offset : NULL;
    float *dw = n->weight >= 0 ? g->grads + g->tensors[n->weight].offset : NULL;
    float *db = n->bias >= 0 ? g->grads + g->tensors[n->bias].offset : NULL;
    switch (n->op) {
    case NN_CONV: {
        nn_conv_geom geo = conv_geom(g, n);
        nn_ref_conv_backward(&geo, in->y, w, n->dy, dx, dw, db);
        break;
    }
    case NN_BN:
        nn_ref_bn_backward(batch_dims(g, n->out), in->y, n->dy, w, n->mean, n->var, g->bn_eps, dx, dw, db);
        break;
    case NN_RELU: if (dx) nn_ref_relu_backward(count, n->y, n->dy, dx); break;
    case NN_TANH: if (dx) nn_ref_tanh_backward(count, n->y, n->dy, dx); break;
    case NN_MAXPOOL:
        if (dx) nn_ref_maxpool_backward(batch_dims(g, in->out), batch_dims(g, n->out), n->k, in->y, n->dy, dx);
        break;
    case NN_UPSAMPLE: if (dx) nn_ref_upsample_backward(batch_dims(g, in->out), n->k, n->dy, dx); break;
    case NN_LINEAR:
        nn_ref_linear_backward(g->batch, (int)nn_sample(in->out), n->out.c, in->y, w, n->dy, dx, dw, db);
        break;
    default: synobs_fatal(__FILE__, __LINE__, "nn", "a graph bug", "op %d is not a numerical op", (int)n->op);
    }
}
