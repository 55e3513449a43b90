/**
 * @file metric_train.h
 * @brief Triplet drawing (spec/analogues.md §8.2), one data-parallel optimiser step (§8.3-8.4) of the
 * triplet MLP, and its model/checkpoint file.
 *
 * Rank-count independence, bit for bit: the global batch of B triplets is cut into 8 fixed chunks
 * (triplets [c B/8, (c+1) B/8)); a chunk's gradient is summed in sample order from zero; the 8 chunk
 * gradients are added in a fixed pairwise tree. With R ranks (R dividing 8) rank r owns chunks
 * [r 8/R, (r+1) 8/R), which is a subtree: it sums them locally and puts the result in slot r of an
 * (R, n) buffer that is zero elsewhere; one allreduce of that buffer (x + 0 is exact, whatever order
 * MPI adds in) gives every rank the R subtree sums, which it adds in the same tree. Other rank
 * counts (allow_uneven_batch, or R > 8) train correctly but not bit-identically to one rank.
 */
#ifndef SYNOBS_METRIC_TRAIN_H
#define SYNOBS_METRIC_TRAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "metric/mlp.h"
#include "mpi/gradcomm.h"
#include "nn/adam.h"

#define METRIC_LEAVES 8

/**
 * @brief The triplets of one epoch: T triplets (anchor, positive, negative) as indices into the
 * training images, from stream (seed, epoch); Score = 0 draws are redrawn.
 * @param q (n_train, k) metadata vectors of the training images
 * @param trip (T, 3) output
 * @return the number of triplet draws made (the RNG counter: T plus the redraws)
 */
int64_t metric_draw_triplets(uint64_t seed, int64_t epoch, const double *q, int64_t n_train, int k, int64_t T, int64_t *trip);

typedef struct {
    mlp_shape s;
    float *p;
    nn_adam opt;
    gradcomm *comm;
    const float *X;          /**< (n_train, C) training features */
    double P, lambda;
    uint64_t seed;
    bool mask_satisfied;
    int rank, R;
    float *slots, *leaves;   /**< (R, n) and (8/R, n) */
    mlp_work w;
    float *mask0, *mask1, *mask2;
    double *dl;              /**< (max batch) per-triplet losses */
    int max_batch;
} metric_trainer;

void metric_trainer_init(metric_trainer *t, const mlp_shape *s, const float *X, int max_batch, double P, double lambda,
                         uint64_t seed, bool mask_satisfied, double lr, double beta1, double beta2, double eps);
void metric_trainer_free(metric_trainer *t);
/** Whether the rank count gives the one-rank result bit for bit. */
bool metric_trainer_exact(const metric_trainer *t);
/**
 * @brief Collective: one step on the global batch trip (B, 3) (every rank passes the same); `step`
 * is the global step (dropout key). v receives the objective (mean triplet loss + λΣw²), the mean
 * triplet loss and the L2 term, all of the weights before the update.
 */
void metric_trainer_step(metric_trainer *t, const int64_t *trip, int B, int64_t step, double v[3]);

/** The training history: per step objective, triplet loss, l2, lr; per epoch mean objective. */
typedef struct {
    double *obj, *tl, *l2, *lr, *epoch_obj;
    int64_t nsteps, cap, nepochs, cap_e;
} metric_history;
void metric_history_add(metric_history *h, const double v[4]);
void metric_history_add_epoch(metric_history *h, double v);
void metric_history_free(metric_history *h);

typedef struct {
    int64_t step, epoch, step_in_epoch, steps_per_epoch, seed, rng_draws;
    char feature_set[256], meta[256];
    metric_history hist;
} metric_state;

/** Rank 0: write a model or checkpoint (opt not NULL: with Adam's moments), atomically. */
int metric_file_write(const char *path, const mlp_shape *s, const float *p, const nn_adam *opt, const metric_state *st,
                      const char *params_text);
/** Read a model file: shape, weights (caller frees *p), and, when st/opt are given, the state and
 * Adam's moments (opt already sized). */
int metric_file_read(const char *path, mlp_shape *s, float **p, nn_adam *opt, metric_state *st);

#endif
