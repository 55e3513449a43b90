/**
 * @file keras_h5.h
 * @brief Keras-applications HDF5 weight files (spec analogues.md 9.4): the weighted layers in the
 * file's own order (`layer_names`, then each layer's `weight_names`; never paths built from
 * assumed names), each tensor with its shape, as float32. One loader for every model: the nsfwjs
 * TF.js models are converted once into this layout (validation/tools/), VGG and DenseNet come as
 * the users' Keras downloads.
 */
#ifndef SYNOBS_KERAS_H5_H
#define SYNOBS_KERAS_H5_H

#include <stdint.h>

typedef struct {
    char name[160];   /**< the weight name as stored, e.g. "block_1_expand/kernel:0" */
    int ndim;
    int64_t shape[4]; /**< Keras layouts: conv kernel [kh, kw, cin, cout], depthwise [kh, kw, cin, 1], dense [in, out] */
    float *data;      /**< prod(shape) values, C order */
} kh5_tensor;

typedef struct {
    char name[160];   /**< the layer name (an entry of layer_names) */
    int ntensors;
    kh5_tensor *t;    /**< in weight_names order */
} kh5_layer;

typedef struct {
    int nlayers;      /**< layers that have weights, in layer_names order */
    kh5_layer *layers;
    char sha256[65];  /**< of the whole file, hex */
} kh5_weights;

/**
 * @brief Read every weighted layer of a weights-only (root) or full-model (/model_weights) file.
 * @return 0, or -1 with the error set naming the file and the place ("w.h5: layer block_3_expand:
 * weight block_3_expand/kernel:0: not a float dataset").
 */
int kh5_read(const char *path, kh5_weights *w);
void kh5_free(kh5_weights *w);
/** The layer named `name`, or NULL. */
const kh5_layer *kh5_layer_find(const kh5_weights *w, const char *name);

#endif
