/**
 * @file nnweights.h
 * @brief Named parameter tensors and BatchNorm buffers of a layer graph in HDF5: one dataset per
 * tensor, named as PyTorch's state_dict (`<group>/<name>`), with the tensor's shape. Used by the
 * golden comparison and by checkpoints.
 */
#ifndef SYNOBS_IO_NNWEIGHTS_H
#define SYNOBS_IO_NNWEIGHTS_H

#include <hdf5.h>

#include "nn/graph.h"

/** Which arrays of the graph a group holds. */
typedef enum { NN_H5_PARAMS, NN_H5_BUFFERS } nn_h5_kind;

/**
 * @brief Read every tensor of `kind` from `group` into dst (laid out as g->params or g->buffers).
 * A missing dataset or a wrong shape is an input error naming path, dataset and the problem.
 * @return 0 or -1.
 */
int nn_h5_read(hid_t file, const char *path, const char *group, const nn_graph *g, nn_h5_kind kind, float *dst);
/** Write every tensor of `kind` from src into a new group (chunked, Fletcher32 checksums). */
void nn_h5_write(hid_t file, const char *group, const nn_graph *g, nn_h5_kind kind, const float *src);

#endif
