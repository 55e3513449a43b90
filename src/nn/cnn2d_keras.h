/**
 * @file cnn2d_keras.h
 * @brief The Keras-applications VGG16, VGG19 and DenseNet121 (keras-team/keras
 * keras/src/applications/vgg16.py, vgg19.py, densenet.py) built in the 2-D DAG of nn/cnn2d.h from
 * the users' Keras HDF5 weight files (spec analogues.md 9.4), up to any named layer (the tap).
 *
 * Loader rule (9.4, as Keras itself): the i-th weighted layer of the file is matched to the i-th
 * weighted layer of the hard-coded topology, whatever its name (TF-Keras 2 `conv1_conv`, old
 * DenseNet `conv1/conv`, old VGG datasets `block1_conv1_W_1:0` all load), and every tensor's
 * shape is checked. Layers of the file past the tap are not read (a file with the top loads for
 * a trunk tap).
 *
 * VGG: 3x3 `same` convs with bias + ReLU (a conv layer's output is after its ReLU, as in Keras),
 * 2x2 s2 max-pool per block; taps block{b}_conv{i}, block{b}_pool (default block5_pool), and with
 * a 224x224 input the top: fc1, fc2, predictions (softmax; the class count is the file's).
 *
 * DenseNet121 (pre-activation): the BN before a ReLU and a conv is a per-channel scale and shift
 * (a 1x1 depthwise conv, groups = C) with the ReLU fused; the BN right after a conv is folded
 * into it. Taps: any Keras layer name of the model (conv1_conv, conv1_bn, conv1_relu, pool1,
 * conv{B}_block{L}_{0_bn,0_relu,1_conv,1_bn,1_relu,2_conv,concat}, pool{B}_{bn,relu,conv,pool},
 * bn, relu (default), avg_pool, predictions), except the two unnamed ZeroPadding2D.
 *
 * Input (in_h, in_w, 3), both sides >= 32, in the model's convention (preprocess.h: caffe for
 * VGG, torch for DenseNet), done outside the model.
 */
#ifndef SYNOBS_NN_CNN2D_KERAS_H
#define SYNOBS_NN_CNN2D_KERAS_H

#include "io/keras_h5.h"
#include "nn/cnn2d.h"

/** Keras' DenseNet BatchNormalization epsilon. */
#define CNN2D_DENSENET_BN_EPS 1.001e-5

/**
 * @brief VGG16 (depth 16) or VGG19 (depth 19) from the weights w read from `file` (named in errors).
 * @param tap a Keras layer name; NULL or "": block5_pool.
 * @return the model, or NULL with error_set naming the file, the file's layer and the expected
 * shape (or the unknown tap, or the too small input).
 */
cnn2d_model *cnn2d_vgg(int depth, const kh5_weights *w, const char *file, int in_h, int in_w, const char *tap,
                       int backend);
cnn2d_model *cnn2d_vgg16(const kh5_weights *w, const char *file, int in_h, int in_w, const char *tap, int backend);
cnn2d_model *cnn2d_vgg19(const kh5_weights *w, const char *file, int in_h, int in_w, const char *tap, int backend);

/**
 * @brief DenseNet121 as cnn2d_vgg.
 * @param tap NULL or "": relu (the final BN + ReLU).
 * @param bn_eps the BatchNorm epsilon: CNN2D_DENSENET_BN_EPS for Keras files (torchvision: 1e-5).
 */
cnn2d_model *cnn2d_densenet121(const kh5_weights *w, const char *file, int in_h, int in_w, const char *tap,
                               double bn_eps, int backend);

/** Whether `tap` is a layer name of `model` (vgg16, vgg19, densenet121): checkable before any work. */
bool cnn2d_keras_tap_known(const char *model, const char *tap);

#endif
