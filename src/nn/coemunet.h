/**
 * @file coemunet.h
 * @brief COEmuNet, the paper's version (spec coemunet.md §2–3), built on the layer graph.
 *
 * Three encoder branches (v_z, T, n_CO: stem, max pool, three stages of residual units with
 * 1×1×1 projection shortcuts), the latent pair of linear layers, and a decoder of (1, 3, 3)
 * convolutions with nearest upsampling; or the single-frequency variant (one convolution per
 * decoder stage, no output activation). Parameter names are the state_dict names of the PyTorch
 * model in validation/coemunet_golden.py.
 */
#ifndef SYNOBS_NN_COEMUNET_H
#define SYNOBS_NN_COEMUNET_H

#include <stdbool.h>

#include "nn/graph.h"

typedef struct {
    int grid;               /**< G: input (3, G, G, G); 32, 64 or 128 */
    int channels;           /**< F frequency channels of the output (B, 1, F, G, G) */
    bool single_frequency;  /**< the 2D-decoder variant (§3); output (B, 1, 1, G, G) */
    bool tanh_output;       /**< output activation tanh (default) or none */
} coemunet_config;

/** Build the model into an initialised, empty graph (nn_graph_finalize allocates it after; the
 * parameter count is known before); -1 with error_set on a bad config. */
int coemunet_build(nn_graph *g, const coemunet_config *cfg);
/** Whether two configurations build the same model (field by field: the struct has padding). */
bool coemunet_config_equal(const coemunet_config *a, const coemunet_config *b);
/** The spec's parameter count for this configuration (§2.6, §3), computed from its formulas. */
size_t coemunet_expected_params(const coemunet_config *cfg);

#endif
