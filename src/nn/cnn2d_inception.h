/**
 * @file cnn2d_inception.h
 * @brief Keras InceptionV3 (keras-team/keras applications/inception_v3.py; the nsfwjs@4.4.0
 * inception_v3 weights, spec analogues.md 9.3) built in the cnn2d DAG (nn/cnn2d.h) up to any
 * named tap.
 */
#ifndef SYNOBS_NN_CNN2D_INCEPTION_H
#define SYNOBS_NN_CNN2D_INCEPTION_H

#include "io/keras_h5.h"
#include "nn/cnn2d.h"

/**
 * @brief Keras InceptionV3 from the input to the layer named `tap`, input (in_h, in_w, 3) RGB in
 * [0, 1] (the nsfwjs convention; 299 x 299 is the model's own size, 75 the least).
 *
 * Layer names are Keras' automatic ones in creation order, as in the nsfwjs model_config:
 * `conv2d_<k>`, `batch_normalization_<k>`, `activation_<k>` (k = 1..94), `max_pooling2d_<k>`
 * (1..4), `average_pooling2d_<k>` (1..9), `concatenate_<k>` (1..2), and `mixed0`..`mixed10`,
 * `mixed9_0`, `mixed9_1`. Each conv + BN (scale = false, eps 1e-3, folded) + ReLU is one cnn2d
 * layer named after the last of the three it covers (a `conv2d_<k>` tap stops before the BN).
 * Only the layers the tap depends on are built (a tap inside a block skips the other branches).
 * Layers are matched to w by name and every tensor's shape is checked.
 *
 * @param tap any layer of the trunk up to `mixed10` (its end); NULL: `mixed5`, the last layer
 *        the nsfwjs fine-tuning left at its ImageNet values (spec analogues.md 9.3).
 * @return the model (batch 32, see cnn2d_set_batch), or NULL with error_set naming the layer
 *         (missing, wrong tensor count or shape), the unknown tap, or an input under 75 pixels.
 */
cnn2d_model *cnn2d_inception_v3(const kh5_weights *w, int in_h, int in_w, const char *tap, int backend);

#endif
