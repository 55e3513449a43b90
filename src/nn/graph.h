/**
 * @file graph.h
 * @brief A static layer graph: nodes in topological order, one contiguous parameter buffer and
 * one gradient buffer, forward and backward passes on a chosen backend.
 *
 * Nodes are added in execution order (each node's inputs come before it). Every parameter tensor
 * has a name (PyTorch's state_dict names of the matching model in validation/) and an offset in
 * `params`; the gradients sit at the same offsets in `grads`, so one allreduce covers all of them.
 * BatchNorm running statistics live in `buffers` (means then variances per layer), so one
 * broadcast covers them. Activations are allocated for a batch size by nn_graph_set_batch().
 *
 * The backward pass writes each node's input gradient directly where that input has one consumer,
 * and adds it through a scratch buffer where it has several (residual branches).
 */
#ifndef SYNOBS_NN_GRAPH_H
#define SYNOBS_NN_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn/dims.h"

typedef enum {
    NN_INPUT,    /**< the graph's input (B, C, D, H, W) */
    NN_SLICE,    /**< one channel of its input */
    NN_CONV,     /**< 3D convolution with bias (2D = kernel depth 1) */
    NN_BN,       /**< BatchNorm over (N, D, H, W) per channel, affine */
    NN_RELU,
    NN_TANH,
    NN_MAXPOOL,  /**< kernel = stride, floor */
    NN_UPSAMPLE, /**< nearest, integer factors */
    NN_LINEAR,   /**< on the flattened input (C·D·H·W features) */
    NN_ADD,      /**< residual sum of two inputs of equal shape */
    NN_CONCAT,   /**< channel concatenation (of flattened vectors or equal-spatial tensors) */
    NN_RESHAPE,  /**< a view with another shape of the same size */
    NN_OP_COUNT
} nn_op;

/** Seconds and calls per op, forward ([0]; a folded conv -> BN -> ReLU counts as a conv) and
 * backward ([1]): filled while nn_graph.profile points at one (benchmarks). */
typedef struct {
    double seconds[NN_OP_COUNT][2];
    long calls[NN_OP_COUNT][2];
} nn_profile;

/** One line per op with time: name, forward ms and calls, backward ms and calls, per `per` runs. */
void nn_profile_print(const nn_profile *p, int per);

typedef enum { NN_BACKEND_REFERENCE, NN_BACKEND_DNNL } nn_backend;

enum { NN_MAX_INPUTS = 4 };

typedef enum { NN_TENSOR_WEIGHT, NN_TENSOR_BIAS, NN_TENSOR_GAMMA, NN_TENSOR_BETA } nn_tensor_kind;

/** One named parameter tensor in the parameter buffer. */
typedef struct {
    char name[160];
    size_t offset, count;
    int ndim, shape[5];
    int fan_in;          /**< for PyTorch's default initialisation */
    nn_tensor_kind kind;
} nn_tensor;

typedef struct nn_node {
    nn_op op;
    char name[128];
    int in[NN_MAX_INPUTS], nin;
    nn_dims out;         /**< output shape of one sample (out.n = 1) */
    int k[3], s[3], p[3];/**< conv kernel/stride/padding; pool kernel; upsample factors in k */
    int channel;         /**< NN_SLICE */
    int weight, bias;    /**< tensor indices (conv, linear: weight/bias; BN: gamma/beta), -1 none */
    size_t running;      /**< BN: offset of running means in buffers (variances follow) */
    int consumers;
    bool needs_grad;     /**< whether a gradient must flow into this node's output */
    float *y, *dy;       /**< [batch × sample] activations and their gradients */
    float *mean, *var;   /**< BN: batch statistics of the last training forward */
    void *impl;          /**< backend state (primitives) */
} nn_node;

typedef struct nn_graph {
    nn_node *nodes;
    int nnodes, cap_nodes;
    nn_tensor *tensors;
    int ntensors, cap_tensors;
    float *params, *grads;
    size_t nparams;
    float *buffers;      /**< BN running statistics */
    size_t nbuffers;
    int64_t bn_batches;  /**< PyTorch's num_batches_tracked (the same for every BN layer) */
    float bn_eps, bn_momentum;
    int batch;
    nn_backend backend;
    /* Data-parallel training (src/train/): BN running statistics may be deferred, so that a step's
     * update uses the mean of the statistics of all its micro-batches on all ranks, whatever the
     * rank count; and backward() may announce which gradients are final, to start reducing them. */
    bool bn_defer;       /**< training forwards add to bn_acc instead of updating buffers */
    double *bn_acc;      /**< [nbuffers]: sums of batch means, then of unbiased batch variances */
    void (*grad_ready)(void *ctx, size_t from); /**< grads[from, nparams) are final (may be NULL) */
    void *grad_ready_ctx;
    float *scratch;      /**< gradient of an input with several consumers */
    size_t scratch_n;
    void *engine;        /**< backend-wide state (oneDNN engine and stream) */
    bool bn_folded;      /**< inference uses folded conv -> BN weights (nn_graph_fold_bn) */
    nn_profile *profile; /**< NULL, or where nn_forward / nn_backward add each node's time */
} nn_graph;

void nn_graph_init(nn_graph *g, nn_backend backend);
void nn_graph_free(nn_graph *g);

/* ---- building (node indices are returned) ---- */
int nn_input(nn_graph *g, int c, int d, int h, int w);
int nn_slice(nn_graph *g, int in, int channel);
int nn_conv(nn_graph *g, int in, const char *name, int cout, const int k[3], const int s[3],
            const int p[3]);
int nn_bn(nn_graph *g, int in, const char *name);
int nn_relu(nn_graph *g, int in);
int nn_tanh(nn_graph *g, int in);
int nn_maxpool(nn_graph *g, int in, const int k[3]);
int nn_upsample(nn_graph *g, int in, const int f[3]);
int nn_linear(nn_graph *g, int in, const char *name, int out_features);
int nn_add(nn_graph *g, int a, int b);
int nn_concat(nn_graph *g, const int *in, int nin);
int nn_reshape(nn_graph *g, int in, int c, int d, int h, int w);

/** Allocate the parameter, gradient and buffer arrays (after the last node). */
void nn_graph_finalize(nn_graph *g);
/** (Re)allocate activations for a batch size. */
void nn_graph_set_batch(nn_graph *g, int batch);

/** Initialise parameters as PyTorch does by default, from a seed (BN γ = 1, β = 0, stats 0/1). */
void nn_graph_init_params(nn_graph *g, uint64_t seed);

/** Defer BN running-statistic updates (see nn_graph_bn_commit); clears the accumulators. */
void nn_graph_bn_defer(nn_graph *g, bool defer);
/**
 * @brief Apply one momentum update of the running statistics from `count` micro-batches:
 * r ← (1 − m)·r + m·(sum / count), sums as accumulated in bn_acc (possibly summed over ranks);
 * counts one batch in bn_batches and clears bn_acc. With count = 1 this is PyTorch's update.
 */
void nn_graph_bn_commit(nn_graph *g, const double *sums, int count);

/**
 * @brief Inference from now on runs each conv -> BatchNorm (-> ReLU), each feeding only the next, as
 * one convolution with the BN folded into its weights (oneDNN backend; nothing on the reference one).
 *
 * The folded weights are a snapshot of the current parameters and running statistics: call it again
 * after changing either outside training. A training forward ends the folding (until the next call),
 * so a graph being trained is never run with stale weights. Folded inference writes only the last
 * node's y of each fused run.
 */
void nn_graph_fold_bn(nn_graph *g);

/** Forward pass on x ([batch × input sample]); returns the last node's output. */
const float *nn_forward(nn_graph *g, const float *x, bool training);
/** Backward pass from dy of the last node (overwrites grads). Needs a training forward first. */
void nn_backward(nn_graph *g, const float *dy_out);

const nn_node *nn_output(const nn_graph *g);
/** Index of the tensor with this name, or -1. */
int nn_tensor_find(const nn_graph *g, const char *name);
/** Number of parameters in tensors whose name starts with prefix ("" for all). */
size_t nn_param_count(const nn_graph *g, const char *prefix);

/* ---- backends: numerical ops only (memory ops are shared, in graph.c) ---- */
void nn_ref_node_forward(nn_graph *g, nn_node *n, bool training);
void nn_ref_node_backward(nn_graph *g, nn_node *n, float *dx);
void nn_dnnl_engine_init(nn_graph *g);
void nn_dnnl_engine_free(nn_graph *g);
void nn_dnnl_node_forward(nn_graph *g, nn_node *n, bool training);
void nn_dnnl_node_backward(nn_graph *g, nn_node *n, float *dx);
void nn_dnnl_node_release(nn_node *n);
/** Fold bn's running statistics and affine parameters into conv's weights (a snapshot). */
void nn_dnnl_fold(nn_graph *g, nn_node *conv, const nn_node *bn);
/** Inference of conv -> BN (-> ReLU) as one convolution with the folded weights, into last->y. */
void nn_dnnl_conv_bn_infer(nn_graph *g, nn_node *conv, nn_node *last, bool relu);

#endif
