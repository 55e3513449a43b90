/**
 * @file trainer.h
 * @brief One data-parallel optimiser step: each rank runs its micro-batches (forward, loss,
 * backward, gradients accumulated), the gradient buffer is summed over ranks bucket by bucket as
 * the last backward pass finishes each bucket, then averaged over the M micro-batches of the
 * global batch; BN running statistics are updated from the mean over all micro-batches; Adam steps.
 *
 * Every rank then holds the same weights and buffers, and the step is the same computation at
 * any rank count (up to the order of the gradient sum over micro-batches).
 */
#ifndef SYNOBS_TRAIN_TRAINER_H
#define SYNOBS_TRAIN_TRAINER_H

#include <stddef.h>

#include "mpi/gradcomm.h"
#include "nn/adam.h"
#include "nn/graph.h"
#include "nn/loss.h"
#include "train/loader.h"

typedef struct {
    nn_graph *g;
    nn_adam *opt;
    gradcomm *comm;
    nn_loss loss;
    int micro_batch, streams, local_streams;
    size_t in_floats, out_floats;
    float *x, *y, *dy;
    float *acc;            /**< gradient sum over this rank's micro-batches (when it has several) */
    double *sums;          /**< BN statistic sums, then loss, mse, freq: one reduction */
    size_t bucket;         /**< floats per allreduce bucket */
    size_t next_hi;        /**< the next bucket to start ends here (buckets go downwards) */
    float *reduce_target;  /**< what the buckets reduce: acc or the graph's grads */
    int buckets_started;
} trainer;

/** g must be built, finalized, at batch = micro_batch; opt initialised over g->nparams. */
void trainer_init(trainer *t, nn_graph *g, nn_adam *opt, gradcomm *comm, int micro_batch, int streams, int local_streams,
                  double loss_lambda, size_t bucket_floats);
void trainer_free(trainer *t);
/**
 * @brief One optimiser step at learning rate lr; value receives the global batch's loss, MSE and
 * frequency loss. Returns 0, or -1 on a read error (agreed across ranks).
 */
int trainer_step(trainer *t, loader *ld, double lr, double value[3]);

#endif
