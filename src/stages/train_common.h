/**
 * @file train_common.h
 * @brief What the emulator stages (train, evaluate, emulate) share: the threads and backend
 * parameters, and the samples of a split of a dataset.
 */
#ifndef SYNOBS_TRAIN_COMMON_H
#define SYNOBS_TRAIN_COMMON_H

#include <stdint.h>

#include "core/params.h"
#include "io/checkpoint.h"
#include "io/dataset.h"
#include "nn/coemunet.h"
#include "nn/graph.h"
#include "nn/preprocess.h"

#define TRAIN_COMMON_PARAMS(sec)                                                                                      \
    {sec, "threads", PARAM_INT, "0", 0, 4096, NULL, "threads", "threads per rank (0: OpenMP's default)"},             \
    {sec, "backend", PARAM_CHOICE, "dnnl", 0, 0, "dnnl|reference", "",                                                \
     "layer engine: oneDNN, or the plain-C reference layers (slow; for checks)"}

enum { SPLIT_TRAIN = 0, SPLIT_VALIDATION = 1, SPLIT_TEST = 2, SPLIT_ALL = -1 };

/** Global indices of the samples of a split (SPLIT_ALL: every sample); 1 when the dataset has no
 * `split` field (then *index holds every sample), 0, or -1 on a read error. */
int split_indices(dataset *ds, int split, int64_t **index, int64_t *n);

typedef struct {
    dataset *train_ds, *val_ds;      /**< val_ds is train_ds when the split field picks validation */
    int64_t *train_index, *val_index;
    int64_t n_train, n_val;
} train_data;

/** Collective: open [train] dataset (and validation), pick the splits, build the model config and
 * the normalisation from [train] stats. Ends the run (all ranks) on a problem. */
void train_common_data(const params *ps, const char *sec, train_data *td, coemunet_config *mc, nn_norm *norm);
void train_data_free(train_data *td);
void train_common_threads(const params *ps, const char *sec);
nn_backend train_common_backend(const params *ps, const char *sec);
/** Collective: the model of a trained-model file, built, loaded and sized for `batch` (inference);
 * st receives its state (model, normalisation, history). Ends the run on a problem. */
void train_common_load_model(const char *path, nn_backend backend, int batch, nn_graph *g, train_state *st);
/** Create a directory and its parents (rank 0); -1 with error_set naming it. */
int path_make_parent_dir(const char *dir);

#endif
