/**
 * @file train.c
 * @brief `synobs train`: COEmuNet trained data-parallel over all ranks, with validation after each
 * epoch, checkpoints, and resumption from the newest valid checkpoint of its output directory.
 *
 * The global batch is M = global_batch / micro_batch micro-batches; each rank runs M / ranks of
 * them (src/train/loader.h explains why the samples do not depend on the rank count). SIGUSR1 or
 * SIGTERM, or the wall budget, make the ranks agree at the end of a step, checkpoint, and exit
 * with status 75 (SYNOBS_EXIT_REQUEUE), which the job script turns into a requeue.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/log.h"
#include "core/signals.h"
#include "io/checkpoint.h"
#include "io/dataset.h"
#include "io/h5util.h"
#include "io/lockfile.h"
#include "io/statsfile.h"
#include "mpi/collective.h"
#include "mpi/gradcomm.h"
#include "nn/adam.h"
#include "nn/coemunet.h"
#include "stages/stage.h"
#include "stages/train_common.h"
#include "train/evalset.h"
#include "train/loader.h"
#include "train/trainer.h"

static const param_decl train_params[] = {
    {"train", "dataset", PARAM_STRING, NULL, 0, 0, NULL, "",
     "training data: a synobs master file (its `split` field picks train 0 / validation 1), a file, a glob or a list"},
    {"train", "validation_dataset", PARAM_STRING, "", 0, 0, NULL, "",
     "validation data when `dataset` has no split field (empty: no validation)"},
    {"train", "stats", PARAM_STRING, NULL, 0, 0, NULL, "", "statistics file of `synobs stats`, for the normalisation"},
    {"train", "output_dir", PARAM_STRING, NULL, 0, 0, NULL, "",
     "checkpoints, model.h5 and train.log.jsonl go here; a run resumes from the newest valid checkpoint in it"},
    {"train", "model", PARAM_CHOICE, "multi_frequency", 0, 0, "multi_frequency|single_frequency", "",
     "COEmuNet (7-channel 3D decoder) or its single-frequency variant (2D decoder; pretraining)"},
    {"train", "tanh_output", PARAM_BOOL, "true", 0, 0, NULL, "", "tanh on the output (multi_frequency only)"},
    {"train", "epochs", PARAM_INT, "100", 1, 1e9, NULL, "epochs", "epochs to train (paper: 1000 pretraining, 100 fine-tuning)"},
    {"train", "max_steps", PARAM_INT, "0", 0, 1e15, NULL, "steps", "stop after this many optimiser steps in all (0: no limit)"},
    {"train", "global_batch", PARAM_INT, "2048", 1, 1e9, NULL, "samples",
     "samples per optimiser step over all ranks (paper: 512 pretraining, 2048 fine-tuning)"},
    {"train", "micro_batch", PARAM_INT, "8", 1, 1e6, NULL, "samples",
     "samples per forward/backward pass; global_batch / micro_batch micro-batches per step must divide evenly "
     "over the ranks. BatchNorm statistics are per micro-batch, so fix it to get the same run at any rank count"},
    {"train", "chunk_samples", PARAM_INT, "64", 1, 1e9, NULL, "samples",
     "consecutive samples read at once by the prefetch thread (the shuffle permutes chunks, then samples within one)"},
    {"train", "lr", PARAM_REAL, "1e-4", 0, 10, NULL, "", "base learning rate (paper: 4e-3 pretraining, 1e-4 fine-tuning)"},
    {"train", "lr_step_epochs", PARAM_INT, "0", 0, 1e9, NULL, "epochs", "StepLR step size (0: constant; paper pretraining: 200)"},
    {"train", "lr_gamma", PARAM_REAL, "0.1", 0, 1, NULL, "", "StepLR decay factor"},
    {"train", "beta1", PARAM_REAL, "0.9", 0, 1, NULL, "", "Adam beta1"},
    {"train", "beta2", PARAM_REAL, "0.999", 0, 1, NULL, "", "Adam beta2"},
    {"train", "eps", PARAM_REAL, "1e-8", 0, 1, NULL, "", "Adam epsilon"},
    {"train", "weight_decay", PARAM_REAL, "0", 0, 10, NULL, "", "Adam L2 weight decay"},
    {"train", "loss_lambda", PARAM_REAL, "0.8", 0, 1, NULL, "", "weight of the MSE; 1 - lambda weighs the FFT loss"},
    {"train", "seed", PARAM_INT, "1234", 0, 9.2e18, NULL, "", "seed of the initial weights and of the shuffles"},
    {"train", "init_from", PARAM_STRING, "", 0, 0, NULL, "",
     "a model or checkpoint whose tensors named by init_tensors start this run (fine-tuning from pretraining)"},
    {"train", "init_tensors", PARAM_STRING, "enc,to_lat", 0, 0, NULL, "",
     "comma-separated name prefixes of the tensors (and BN buffers) taken from init_from"},
    {"train", "checkpoint_every", PARAM_INT, "0", 0, 1e12, NULL, "steps", "checkpoint every this many steps (0: never)"},
    {"train", "checkpoint_epochs", PARAM_INT, "1", 0, 1e9, NULL, "epochs",
     "checkpoint after every this many epochs' validation (0: never)"},
    {"train", "keep_checkpoints", PARAM_INT, "3", 1, 1e6, NULL, "files", "checkpoints kept (the newest)"},
    {"train", "wall_budget", PARAM_REAL, "0", 0, 1e9, NULL, "s",
     "checkpoint and exit with status 75 (requeue) before this much wall time has passed (0: no budget)"},
    {"train", "validate", PARAM_BOOL, "true", 0, 0, NULL, "", "validation after each epoch"},
    {"train", "metric_chunk", PARAM_INT, "500", 1, 1e9, NULL, "samples",
     "samples per metric chunk (SSIM's data range is per chunk and channel, as the reference's 500)"},
    {"train", "bucket_mb", PARAM_REAL, "64", 0, 1e6, NULL, "MB",
     "gradient allreduce bucket, started as the backward pass completes it (0: one bucket)"},
    {"train", "log_every", PARAM_INT, "10", 1, 1e9, NULL, "steps", "a progress line every this many steps"},
    TRAIN_COMMON_PARAMS("train"),
    PARAM_END};

static const char *const train_sections[] = {"train", NULL};

typedef struct {
    const char *output_dir;
    int64_t epochs, max_steps, checkpoint_every, checkpoint_epochs, keep, log_every;
    double wall_budget, lr, lr_gamma, lambda;
    int64_t lr_step;
    bool validate;
    int64_t metric_chunk;
} train_opts;

typedef struct {
    nn_graph *g;
    nn_adam *opt;
    const coemunet_config *mc;
} resume_ctx;

/* A checkpoint this run can resume from: it reads completely and holds this run's model. */
static int resume_accept(const char *path, void *vctx)
{
    const resume_ctx *c = vctx;
    train_state s;
    int rc = checkpoint_read_state(path, &s);
    if (rc == 0 && !coemunet_config_equal(&s.model, c->mc))
        rc = error_set("%s: its model (grid %d, %d channels, %s) is not this run's", path, s.model.grid, s.model.channels,
                       s.model.single_frequency ? "single-frequency" : "multi-frequency");
    if (rc == 0) rc = checkpoint_read_tensors(path, c->g, c->opt);
    history_free(&s.hist);
    return rc;
}

/* Rank 0 finds the newest checkpoint that reads completely and matches the model; all ranks load it. */
static int resume(const char *dir, nn_graph *g, nn_adam *opt, const coemunet_config *mc, train_state *st, char **used)
{
    resume_ctx ctx = {g, opt, mc};
    char *chosen = log_rank() == 0 ? checkpoint_newest(dir, "train", resume_accept, &ctx) : NULL;
    char *path = mpi_bcast_string(chosen ? chosen : "");
    free(chosen);
    if (!path[0]) {
        free(path);
        return 0;
    }
    int rc = checkpoint_read_state(path, st);
    if (rc == 0 && log_rank() != 0) rc = checkpoint_read_tensors(path, g, opt);
    collective_fail_if(rc != 0);
    *used = path;
    return 1;
}

static bool name_selected(const char *name, const char *prefixes)
{
    char *copy = xstrdup(prefixes), *save = NULL;
    bool hit = false;
    for (char *t = strtok_r(copy, ", ", &save); t && !hit; t = strtok_r(NULL, ", ", &save))
        hit = strncmp(name, t, strlen(t)) == 0;
    free(copy);
    return hit;
}

/* Copy the selected tensors and BN buffers of a trained model into g (same names, same shapes). */
static int init_from(const char *path, const char *prefixes, nn_graph *g, nn_backend backend)
{
    train_state src;
    if (checkpoint_read_state(path, &src) != 0) return -1;
    history_free(&src.hist);
    nn_graph m;
    nn_graph_init(&m, backend);
    int rc = coemunet_build(&m, &src.model);
    if (rc == 0) {
        nn_graph_finalize(&m);
        rc = checkpoint_read_tensors(path, &m, NULL);
    }
    size_t copied = 0;
    int tensors = 0;
    for (int i = 0; i < g->ntensors && rc == 0; i++) {
        const nn_tensor *t = &g->tensors[i];
        if (!name_selected(t->name, prefixes)) continue;
        int j = nn_tensor_find(&m, t->name);
        if (j < 0) rc = error_set("[train] init_from %s has no tensor '%s'", path, t->name);
        else if (m.tensors[j].count != t->count)
            rc = error_set("[train] init_from %s: tensor '%s' has %zu values, this model's has %zu", path, t->name,
                           m.tensors[j].count, t->count);
        else {
            memcpy(g->params + t->offset, m.params + m.tensors[j].offset, t->count * sizeof *g->params);
            copied += t->count;
            tensors++;
        }
    }
    for (int i = 0; i < g->nnodes && rc == 0; i++) {
        const nn_node *n = &g->nodes[i];
        if (n->op != NN_BN || !name_selected(n->name, prefixes)) continue;
        for (int k = 0; k < m.nnodes; k++)
            if (m.nodes[k].op == NN_BN && strcmp(m.nodes[k].name, n->name) == 0)
                memcpy(g->buffers + n->running, m.buffers + m.nodes[k].running, 2 * (size_t)n->out.c * sizeof *g->buffers);
    }
    nn_graph_free(&m);
    if (rc == 0) {
        if (tensors == 0) return error_set("[train] init_tensors '%s' selects no tensor of the model", prefixes);
        message0("train: init: %d tensors (%zu parameters) named %s* taken from %s", tensors, copied, prefixes, path);
    }
    return rc;
}

/* The validation figures of one epoch: loss, median MaxRel, mean ZNCC and SSIM (NaN without validation). */
static void validate_epoch(nn_graph *g, const train_data *td, const train_opts *o, const nn_norm *norm, double v[4])
{
    v[0] = v[1] = v[2] = v[3] = NAN;
    if (!o->validate || td->n_val == 0) return;
    eval_result r;
    collective_fail_if(eval_run(g, td->val_ds, td->val_index, td->n_val, norm, o->lambda, o->metric_chunk, &r) != 0);
    v[0] = eval_mean(r.loss, r.n);
    v[1] = eval_median(r.maxrel, r.n);
    v[2] = eval_mean(r.zncc, r.n);
    v[3] = eval_mean(r.ssim, r.n);
    eval_result_free(&r);
}

/* Whether the newest epoch's validation median MaxRel is the lowest of the history (strictly below
 * every earlier one; NaN never is). */
static bool best_so_far(const train_history *h)
{
    const double *m = h->epoch[2];
    int64_t last = h->nepochs - 1;
    if (last < 0 || !(m[last] == m[last])) return false;
    for (int64_t i = 0; i < last; i++)
        if (m[i] <= m[last]) return false;
    return true;
}

/* Collective: rank 0 writes; a file that cannot be written (a full disk) ends the run on every rank,
 * the checkpoints written before it intact. */
static void save(const char *path, const nn_graph *g, const nn_adam *opt, const train_state *st, const char *text)
{
    int rc = 0;
    if (log_rank() == 0) {
        loader_io_lock();
        rc = checkpoint_write(path, g, opt, st, text);
        loader_io_unlock();
    }
    collective_fail_if(rc != 0);
}

static void save_checkpoint(const train_opts *o, const nn_graph *g, const nn_adam *opt, const train_state *st,
                            const char *text)
{
    static int64_t last_step = -1; /* one checkpoint per step, even when a step ends an epoch too */
    if (st->step == last_step) return;
    last_step = st->step;
    char *path = checkpoint_path(o->output_dir, st->step);
    save(path, g, opt, st, text);
    if (log_rank() == 0) checkpoint_prune(o->output_dir, (int)o->keep);
    jlog("checkpoint", "\"step\": %lld, \"path\": \"%s\"", (long long)st->step, path);
    message0("train: checkpoint %s", path);
    free(path);
    MPI_Barrier(MPI_COMM_WORLD);
}

static int train_check(const params *ps, const char *params_text, stage_plan *plan)
{
    (void)params_text;
    const int64_t mb = params_int(ps, "train", "micro_batch"), gb = params_int(ps, "train", "global_batch");
    const int P = log_size();
    if (gb % mb != 0)
        return error_set("%s: [train] global_batch = %lld is not a multiple of micro_batch = %lld",
                         params_origin(ps, "train", "global_batch"), (long long)gb, (long long)mb);
    if ((gb / mb) % P != 0)
        return error_set("%s: [train] the %lld micro-batches of a global batch (global_batch / micro_batch) do not divide "
                         "over %d ranks: choose a rank count that divides %lld, or change the batch",
                         params_origin(ps, "train", "global_batch"), (long long)(gb / mb), P, (long long)(gb / mb));
    plan_file data, val, init;
    if (plan_dataset(plan, ps, "train", "dataset", &data) != 0 || plan_output_dir(ps, "train", "output_dir") != 0 ||
        plan_file_input(plan, ps, "train", "stats", PLAN_STATS) != 0)
        return -1;
    if (params_string(ps, "train", "validation_dataset")[0]) {
        if (plan_dataset(plan, ps, "train", "validation_dataset", &val) != 0) return -1;
        if (val.grid && data.grid && (val.grid != data.grid || val.channels != data.channels))
            return error_set("%s: [train] validation_dataset has grid %d and %d channels, dataset has %d and %d",
                             params_origin(ps, "train", "validation_dataset"), val.grid, val.channels, data.grid,
                             data.channels);
    }
    bool single = strcmp(params_string(ps, "train", "model"), "single_frequency") == 0;
    if (single && data.channels != 1)
        return error_set("%s: [train] model = single_frequency needs one frequency channel; dataset %s has %d",
                         params_origin(ps, "train", "model"), params_string(ps, "train", "dataset"), data.channels);
    if (params_string(ps, "train", "init_from")[0] && plan_model(plan, ps, "train", "init_from", &init) != 0) return -1;
    const char *dir = params_string(ps, "train", "output_dir");
    const char *made[] = {"model.h5", "model_best.h5"};
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(dir) + 32;
        char *path = xmalloc(n);
        snprintf(path, n, "%s/%s", dir, made[i]);
        plan_add(plan, path, PLAN_MODEL, data.grid, data.channels, true);
        free(path);
    }
    return 0;
}

static int train_run(const params *ps, const char *params_text)
{
    train_opts o = {
        .output_dir = params_string(ps, "train", "output_dir"),
        .epochs = params_int(ps, "train", "epochs"),
        .max_steps = params_int(ps, "train", "max_steps"),
        .checkpoint_every = params_int(ps, "train", "checkpoint_every"),
        .checkpoint_epochs = params_int(ps, "train", "checkpoint_epochs"),
        .keep = params_int(ps, "train", "keep_checkpoints"),
        .log_every = params_int(ps, "train", "log_every"),
        .wall_budget = params_real(ps, "train", "wall_budget"),
        .lr = params_real(ps, "train", "lr"),
        .lr_gamma = params_real(ps, "train", "lr_gamma"),
        .lr_step = params_int(ps, "train", "lr_step_epochs"),
        .lambda = params_real(ps, "train", "loss_lambda"),
        .validate = params_bool(ps, "train", "validate"),
        .metric_chunk = params_int(ps, "train", "metric_chunk"),
    };
    const int mb = (int)params_int(ps, "train", "micro_batch");
    const int64_t gb = params_int(ps, "train", "global_batch");
    const uint64_t seed = (uint64_t)params_int(ps, "train", "seed");
    signals_catch_stop();
    train_common_threads(ps, "train");

    int streams = (int)(gb / mb), P = log_size(); /* train_check has tested that they divide */
    collective_fail_if(log_rank() == 0 && path_make_parent_dir(o.output_dir) != 0);
    /* one job per output directory: two would overwrite each other's checkpoints */
    int lock = -1;
    if (log_rank() == 0) {
        size_t n = strlen(o.output_dir) + 16;
        char *path = xmalloc(n), what[4200];
        snprintf(path, n, "%s/train.lock", o.output_dir);
        snprintf(what, sizeof what, "[train] output_dir %s", o.output_dir);
        lock = lockfile_take(path, what);
        free(path);
    }
    collective_fail_if(log_rank() == 0 && lock < 0);

    train_data td;
    coemunet_config mc;
    nn_norm norm;
    train_common_data(ps, "train", &td, &mc, &norm);
    nn_backend backend = train_common_backend(ps, "train");
    nn_graph g;
    nn_graph_init(&g, backend);
    collective_fail_if(coemunet_build(&g, &mc) != 0);
    nn_graph_finalize(&g);
    nn_graph_set_batch(&g, mb);
    nn_graph_init_params(&g, seed);
    nn_adam opt;
    nn_adam_init(&opt, g.nparams, o.lr, params_real(ps, "train", "beta1"), params_real(ps, "train", "beta2"),
                 params_real(ps, "train", "eps"), params_real(ps, "train", "weight_decay"));
    message0("train: COEmuNet %s, grid %d, %d channel(s): %zu parameters; %lld training and %lld validation samples; "
             "global batch %lld = %d micro-batches of %d over %d rank(s)",
             mc.single_frequency ? "single-frequency" : "multi-frequency", mc.grid, mc.channels, g.nparams,
             (long long)td.n_train, (long long)td.n_val, (long long)gb, streams, mb, P);

    train_state st = {.seed = (int64_t)seed, .model = mc, .norm = norm};
    char *resumed = NULL;
    if (resume(o.output_dir, &g, &opt, &mc, &st, &resumed)) {
        message0("train: resuming from %s (step %lld, epoch %lld, step %lld of the epoch)", resumed, (long long)st.step,
                 (long long)st.epoch, (long long)st.step_in_epoch);
        if (!nn_norm_equal(&st.norm, &norm))
            warning0("train: the checkpoint's normalisation differs from %s; continuing with the checkpoint's",
                     params_string(ps, "train", "stats"));
        norm = st.norm;
    } else if (params_string(ps, "train", "init_from")[0])
        collective_fail_if(init_from(params_string(ps, "train", "init_from"), params_string(ps, "train", "init_tensors"), &g,
                                     backend) != 0);

    loader_config lc = {.ds = td.train_ds, .index = td.train_index, .n = td.n_train,
                        .chunk = params_int(ps, "train", "chunk_samples"), .micro_batch = mb, .streams = streams,
                        .first_stream = log_rank() * (streams / P), .local_streams = streams / P, .seed = seed, .norm = norm};
    loader *ld = NULL;
    collective_fail_if(loader_open(&lc, &ld) != 0);
    const int64_t S = loader_steps_per_epoch(ld);
    if (resumed && st.steps_per_epoch != S) {
        error_set("train: %s was made with %lld steps per epoch, this configuration has %lld: the dataset, batch or "
                  "chunk_samples changed; use a new output_dir", resumed, (long long)st.steps_per_epoch, (long long)S);
        collective_fail_if(true);
    }
    st.steps_per_epoch = S;

    char logpath[4200];
    snprintf(logpath, sizeof logpath, "%s/train.log.jsonl", o.output_dir);
    jlog_open_append(logpath);
    char *q = json_quote_alloc(params_text);
    jlog("start", "\"stage\": \"train\", \"ranks\": %d, \"resumed_from\": \"%s\", \"step\": %lld, \"parameters\": %s", P,
         resumed ? resumed : "", (long long)st.step, q);
    free(q);

    gradcomm *comm = gradcomm_new();
    trainer tr;
    double bucket_mb = params_real(ps, "train", "bucket_mb");
    trainer_init(&tr, &g, &opt, comm, mb, streams, streams / P, o.lambda, (size_t)(bucket_mb * 1e6 / sizeof(float)));

    int status = 0;
    double t0 = log_elapsed(), step_time = 0;
    int64_t steps_this_run = 0;
    const int64_t total = o.max_steps > 0 && o.max_steps < o.epochs * S ? o.max_steps : o.epochs * S;
    bool stop = false, done = st.step >= total;
    if (done) message0("train: already complete (step %lld of %lld): writing the model again", (long long)st.step, (long long)total);
    while (!done && !stop && st.epoch < o.epochs) {
        loader_seek(ld, st.epoch, st.step_in_epoch);
        double lr = nn_step_lr(o.lr, st.epoch, o.lr_step, o.lr_gamma);
        while (st.step_in_epoch < S && !stop && !done) {
            double ts = log_elapsed(), v[3];
            collective_fail_if(trainer_step(&tr, ld, lr, v) != 0);
            st.step++, st.step_in_epoch++, steps_this_run++;
            history_add_step(&st.hist, (double[HIST_STEP_SERIES]){v[0], v[1], v[2], lr});
            step_time = log_elapsed() - ts;
            jlog("step", "\"step\": %lld, \"epoch\": %lld, \"loss\": %.9g, \"mse\": %.9g, \"freq\": %.9g, \"lr\": %.6g, "
                 "\"seconds\": %.4f", (long long)st.step, (long long)st.epoch, v[0], v[1], v[2], lr, step_time);
            if (st.step % o.log_every == 0 || st.step == total) {
                double el = log_elapsed() - t0, rate = steps_this_run * (double)gb / el;
                double eta = (double)(total - st.step) * el / steps_this_run;
                message0("train: epoch %lld/%lld step %lld/%lld (%lld in all of %lld): loss %.6g (mse %.4g, freq %.4g), "
                         "%.1f samples/s, ETA %.0f s", (long long)st.epoch + 1, (long long)o.epochs,
                         (long long)st.step_in_epoch, (long long)S, (long long)st.step, (long long)total, v[0], v[1],
                         v[2], rate, eta);
            }
            done = st.step >= total;
            const char *sig = "";
            bool local_stop = signals_stop_requested(&sig);
            bool budget = o.wall_budget > 0 && log_elapsed() + 2.0 * step_time + 5.0 > o.wall_budget;
            stop = collective_any(local_stop || budget) && !done;
            if (stop) {
                message0("train: stopping at step %lld (%s): checkpoint, then exit status %d for a requeue",
                         (long long)st.step, local_stop ? sig : "wall budget", SYNOBS_EXIT_REQUEUE);
                jlog("stop", "\"step\": %lld, \"reason\": \"%s\"", (long long)st.step, local_stop ? sig : "wall budget");
            }
            if (stop || (o.checkpoint_every > 0 && st.step % o.checkpoint_every == 0 && !done))
                save_checkpoint(&o, &g, &opt, &st, params_text);
        }
        if (st.step_in_epoch == S) { /* the epoch is complete: validate, then the next epoch */
            double val[4], train_loss = 0;
            validate_epoch(&g, &td, &o, &norm, val);
            for (int64_t i = st.hist.nsteps - S; i < st.hist.nsteps; i++) train_loss += st.hist.step[0][i];
            train_loss /= (double)S;
            history_add_epoch(&st.hist, (double[HIST_EPOCH_SERIES]){train_loss, val[0], val[1], val[2], val[3]});
            message0("train: epoch %lld done: train loss %.6g; validation loss %.6g, median MaxRel %.3f%%, ZNCC %.4f, "
                     "SSIM %.4f", (long long)st.epoch + 1, train_loss, val[0], val[1], val[2], val[3]);
            jlog("epoch", "\"epoch\": %lld, \"step\": %lld, \"train_loss\": %.9g, \"val_loss\": %.9g, "
                 "\"val_maxrel_median\": %.9g, \"val_zncc\": %.9g, \"val_ssim\": %.9g", (long long)st.epoch + 1,
                 (long long)st.step, train_loss, val[0], val[1], val[2], val[3]);
            if (o.validate && best_so_far(&st.hist)) { /* as the reference keeps its best checkpoint */
                char best[4200];
                snprintf(best, sizeof best, "%s/model_best.h5", o.output_dir);
                save(best, &g, &opt, &st, params_text);
                message0("train: epoch %lld has the lowest validation median MaxRel so far: %s", (long long)st.epoch + 1, best);
            }
            st.epoch++, st.step_in_epoch = 0;
            done = done || st.epoch >= o.epochs;
            if (!done && !stop && o.checkpoint_epochs > 0 && st.epoch % o.checkpoint_epochs == 0)
                save_checkpoint(&o, &g, &opt, &st, params_text);
        }
    }
    if (stop) status = SYNOBS_EXIT_REQUEUE;
    else {
        save_checkpoint(&o, &g, &opt, &st, params_text);
        char model[4200];
        snprintf(model, sizeof model, "%s/model.h5", o.output_dir);
        save(model, &g, &opt, &st, params_text);
        MPI_Barrier(MPI_COMM_WORLD);
        message0("train: done: %lld steps, %lld epochs; model %s", (long long)st.step, (long long)st.hist.nepochs, model);
        jlog("end", "\"step\": %lld, \"model\": \"%s\"", (long long)st.step, model);
    }
    jlog_close();
    lockfile_release(lock);
    trainer_free(&tr);
    gradcomm_free(comm);
    loader_close(ld);
    nn_adam_free(&opt);
    nn_graph_free(&g);
    history_free(&st.hist);
    train_data_free(&td);
    free(resumed);
    signals_default();
    return status;
}

const stage stage_train = {"train", "train COEmuNet data-parallel, with validation, checkpoints and automatic resumption",
                           train_params, train_sections, train_run, NULL, train_check};
