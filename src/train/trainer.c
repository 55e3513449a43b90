/**
 * @file trainer.c
 * @brief The data-parallel optimiser step (see trainer.h).
 */
#include "train/trainer.h"

#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "mpi/collective.h"

void trainer_init(trainer *t, nn_graph *g, nn_adam *opt, gradcomm *comm, int micro_batch, int streams, int local_streams,
                  double loss_lambda, size_t bucket_floats)
{
    memset(t, 0, sizeof *t);
    t->g = g;
    t->opt = opt;
    t->comm = comm;
    t->micro_batch = micro_batch;
    t->streams = streams;
    t->local_streams = local_streams;
    const nn_dims in = g->nodes[0].out, out = nn_output(g)->out;
    t->in_floats = nn_sample(in);
    t->out_floats = nn_sample(out);
    /* the loss sees (mb × F) images of H × W: the output is (mb, 1, F, H, W) */
    nn_loss_init(&t->loss, micro_batch * out.d, out.h, out.w, loss_lambda);
    t->x = xmalloc((size_t)micro_batch * t->in_floats * sizeof *t->x);
    t->y = xmalloc((size_t)micro_batch * t->out_floats * sizeof *t->y);
    t->dy = xmalloc((size_t)micro_batch * t->out_floats * sizeof *t->dy);
    t->acc = local_streams > 1 ? xmalloc(g->nparams * sizeof *t->acc) : NULL;
    t->sums = xmalloc((g->nbuffers + 3) * sizeof *t->sums);
    t->bucket = bucket_floats > 0 ? bucket_floats : g->nparams;
    nn_graph_bn_defer(g, true);
}

void trainer_free(trainer *t)
{
    nn_graph_bn_defer(t->g, false);
    t->g->grad_ready = NULL;
    nn_loss_free(&t->loss);
    free(t->x), free(t->y), free(t->dy), free(t->acc), free(t->sums);
    memset(t, 0, sizeof *t);
}

/* Called by the last backward pass: grads[from, nparams) are final. Start every bucket that lies
 * entirely above `from`, adding this micro-batch's gradient into the accumulator first. */
static void on_grads_ready(void *ctx, size_t from)
{
    trainer *t = ctx;
    while (t->next_hi > 0) {
        size_t lo = t->next_hi > t->bucket ? t->next_hi - t->bucket : 0;
        if (from > lo) break;
        if (t->acc) {
            const float *gr = t->g->grads;
            for (size_t j = lo; j < t->next_hi; j++) t->acc[j] += gr[j];
        }
        gradcomm_start(t->comm, t->reduce_target + lo, t->next_hi - lo);
        t->buckets_started++;
        t->next_hi = lo;
    }
    gradcomm_progress(t->comm);
}

int trainer_step(trainer *t, loader *ld, double lr, double value[3])
{
    nn_graph *g = t->g;
    double loss = 0, mse = 0, freq = 0;
    int rc = 0;
    for (int s = 0; s < t->local_streams; s++) {
        bool last = s == t->local_streams - 1;
        if (rc == 0) rc = loader_next(ld, s, t->x, t->y);
        if (rc != 0) continue; /* keep going through the loop: the failure is agreed below */
        const float *p = nn_forward(g, t->x, true);
        nn_loss_value v = nn_loss_eval(&t->loss, p, t->y, t->dy);
        loss += v.total, mse += v.mse, freq += v.freq;
        if (last) {
            t->reduce_target = t->acc ? t->acc : g->grads;
            t->next_hi = g->nparams;
            g->grad_ready = on_grads_ready;
            g->grad_ready_ctx = t;
        }
        nn_backward(g, t->dy);
        g->grad_ready = NULL;
        if (!last) {
            if (s == 0) memcpy(t->acc, g->grads, g->nparams * sizeof *t->acc);
            else
                for (size_t j = 0; j < g->nparams; j++) t->acc[j] += g->grads[j];
        }
    }
    if (collective_any(rc != 0)) {
        gradcomm_wait(t->comm);
        return -1;
    }
    gradcomm_wait(t->comm);
    /* BN statistics and the losses: one small reduction */
    memcpy(t->sums, g->bn_acc, g->nbuffers * sizeof *t->sums);
    t->sums[g->nbuffers] = loss, t->sums[g->nbuffers + 1] = mse, t->sums[g->nbuffers + 2] = freq;
    gradcomm_sum_f64(t->comm, t->sums, g->nbuffers + 3);
    float *grad = t->acc ? t->acc : g->grads;
    const float inv = 1.0f / (float)t->streams;
    for (size_t j = 0; j < g->nparams; j++) grad[j] *= inv;
    t->opt->lr = lr;
    nn_adam_step(t->opt, g->params, grad);
    nn_graph_bn_commit(g, t->sums, t->streams);
    for (int k = 0; k < 3; k++) value[k] = t->sums[g->nbuffers + k] / t->streams;
    return 0;
}
