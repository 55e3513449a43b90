/**
 * @file checkpoint.h
 * @brief Training checkpoints (and trained models: the same format): weights, BN buffers, Adam
 * moments, the position in training, the normalisation used, the loss and validation history, the
 * parameters and provenance, in one HDF5 file with Fletcher32 checksums, written under a temporary
 * name, synced, then renamed.
 *
 * Layout: root attributes `format` ("synobs-checkpoint-1"), step, epoch, step_in_epoch,
 * steps_per_epoch, seed, bn_batches, adam_step, the model (grid, channels, single_frequency,
 * tanh_output) and the normalisation (norm_*), plus provenance; groups `params/` and `buffers/`
 * (one dataset per tensor, state_dict names), `adam/` (exp_avg, exp_avg_sq: flat), `history/`
 * (loss, mse, freq, lr per step; epoch_train_loss, val_loss, val_maxrel_median, val_zncc,
 * val_ssim per epoch).
 */
#ifndef SYNOBS_IO_CHECKPOINT_H
#define SYNOBS_IO_CHECKPOINT_H

#include <stdint.h>

#include "nn/adam.h"
#include "nn/coemunet.h"
#include "nn/graph.h"
#include "nn/preprocess.h"

enum { HIST_STEP_SERIES = 4, HIST_EPOCH_SERIES = 5 };

/** Per-step series (loss, mse, freq, lr) and per-epoch series (train loss, val loss, val MaxRel, ZNCC, SSIM). */
typedef struct {
    double *step[HIST_STEP_SERIES];
    int64_t nsteps, cap_steps;
    double *epoch[HIST_EPOCH_SERIES];
    int64_t nepochs, cap_epochs;
} train_history;

void history_add_step(train_history *h, const double v[HIST_STEP_SERIES]);
void history_add_epoch(train_history *h, const double v[HIST_EPOCH_SERIES]);
void history_free(train_history *h);

typedef struct {
    int64_t step;             /**< optimiser steps done */
    int64_t epoch;            /**< the epoch the next step belongs to */
    int64_t step_in_epoch;    /**< steps done in that epoch (= steps_per_epoch: its validation is pending) */
    int64_t steps_per_epoch;
    int64_t seed;
    coemunet_config model;
    nn_norm norm;
    train_history hist;
} train_state;

/** Rank 0: write the checkpoint `path` (as path.partial, fsync, rename, directory fsync).
 * Returns 0, or -1 when it could not be written (error set, nothing left under its name). */
int checkpoint_write(const char *path, const nn_graph *g, const nn_adam *opt, const train_state *st,
                      const char *params_text);
/** Read the attributes and history (not the tensors); -1 with error_set naming the file. */
int checkpoint_read_state(const char *path, train_state *st);
/** Read params and buffers into g (built from the file's model) and, if opt is not NULL, Adam's moments. */
int checkpoint_read_tensors(const char *path, nn_graph *g, nn_adam *opt);
/**
 * @brief The checkpoints `DIR/checkpoint_*.h5`, newest (highest step) first (caller frees each and
 * the array); *n receives the count.
 */
char **checkpoint_list(const char *dir, int *n);
/**
 * @brief The newest checkpoint of dir that accept(path, ctx) takes (returns 0), as a copy the caller
 * frees, or NULL. Each one refused (accept returns -1 with the error set) is reported as the
 * warning "STAGE: skipping checkpoint PATH: why", and the next older one is tried. One rank's
 * work: the stage broadcasts the choice.
 */
char *checkpoint_newest(const char *dir, const char *stage, int (*accept)(const char *path, void *ctx), void *ctx);
/** Remove all but the newest `keep` checkpoints of dir. */
void checkpoint_prune(const char *dir, int keep);
/** The checkpoint path for a step: DIR/checkpoint_SSSSSSSS.h5 (caller frees). */
char *checkpoint_path(const char *dir, int64_t step);

#endif
