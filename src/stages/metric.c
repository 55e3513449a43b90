/**
 * @file metric.c
 * @brief `synobs metric`: the triplet-loss MLP of spec/analogues.md §8 trained data-parallel on the
 * cached GAP features of `synobs features`, with checkpoints, exact resumption (same rank count, or
 * any rank count dividing 8) and the loss history in DIR/metric.log.jsonl and DIR/model.h5.
 *
 * Every rank loads the training rows (k in train_projections), draws the same triplet stream from
 * (seed, epoch) and takes its slice of each global batch; see metric/metric_train.h for why 1, 2,
 * 4 and 8 ranks give bit-identical weights.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>
#include <mpi.h>

#include "core/check.h"
#include "core/log.h"
#include "core/signals.h"
#include "io/checkpoint.h"
#include "io/features_file.h"
#include "io/h5util.h"
#include "io/lockfile.h"
#include "metric/metric_train.h"
#include "mpi/collective.h"
#include "stages/stage.h"
#include "stages/train_common.h"

#define S_ "metric"

static const param_decl metric_params[] = {
    {S_, "features", PARAM_STRING, NULL, 0, 0, NULL, "", "features file of synobs features (the cached GAP vectors /features/<model>/<tap>/gap)"},
    {S_, "feature_set", PARAM_STRING, "", 0, 0, NULL, "", "model/tap/mode of the set to train on (empty: the file's only set)"},
    {S_, "catalogue", PARAM_STRING, NULL, 0, 0, NULL, "", "the catalogue the features were made from (its /meta and observers)"},
    {S_, "output_dir", PARAM_STRING, NULL, 0, 0, NULL, "", "model.h5, checkpoints and metric.log.jsonl; a run resumes from the newest valid checkpoint"},
    {S_, "metadata", PARAM_STRING, "M1,M2,L1,L2,dsize1,dsize2,Mgas100", 0, 0, NULL, "", "the metadata vector q of eq. 6-7 (catalogue /meta names)"},
    {S_, "train_projections", PARAM_STRING, "1,3,5,7", 0, 0, NULL, "", "observers k (1-based) whose images are drawn into triplets"},
    {S_, "epochs", PARAM_INT, "10", 1, 1e9, NULL, "epochs", "epochs (paper: 10)"},
    {S_, "triplets_per_epoch", PARAM_INT, "18000", 1, 1e12, NULL, "triplets", "triplets per epoch, redrawn every epoch (paper: 18000)"},
    {S_, "batch", PARAM_INT, "64", 1, 1e6, NULL, "triplets", "global batch over all ranks; the final partial batch is kept"},
    {S_, "allow_uneven_batch", PARAM_BOOL, "false", 0, 0, NULL, "", "run when batch mod ranks != 0 (results then depend on the rank count)"},
    {S_, "hidden1", PARAM_INT, "256", 1, 1e6, NULL, "", "first hidden Dense width"},
    {S_, "hidden2", PARAM_INT, "128", 1, 1e6, NULL, "", "second hidden Dense width"},
    {S_, "embedding_dim", PARAM_INT, "100", 1, 1e6, NULL, "", "output (embedding) width"},
    {S_, "dropout", PARAM_REAL, "0.5", 0, 0.99, NULL, "", "dropout P on the input channels (spatial dropout) and after each hidden layer"},
    {S_, "l2", PARAM_REAL, "1e-5", 0, 10, NULL, "", "lambda of lambda * sum w^2 over the three kernels (not the biases)"},
    {S_, "lr", PARAM_REAL, "1e-4", 0, 10, NULL, "", "Adam learning rate"},
    {S_, "beta1", PARAM_REAL, "0.9", 0, 1, NULL, "", "Adam beta1 (the paper prints 1e-3)"},
    {S_, "beta2", PARAM_REAL, "0.999", 0, 1, NULL, "", "Adam beta2"},
    {S_, "eps", PARAM_REAL, "1e-7", 0, 1, NULL, "", "Adam epsilon"},
    {S_, "triplet_mask_satisfied", PARAM_BOOL, "false", 0, 0, NULL, "", "zero the loss of triplets with d_ap < d_an (eq. 8's 'no learning')"},
    {S_, "seed", PARAM_INT, "1234", 0, 9.2e18, NULL, "", "seed of the initial weights, the triplet stream and the dropout masks"},
    {S_, "max_steps", PARAM_INT, "0", 0, 1e15, NULL, "steps", "stop after this many steps in all (0: the schedule)"},
    {S_, "checkpoint_every", PARAM_INT, "0", 0, 1e12, NULL, "steps", "checkpoint every this many steps (0: at epoch ends only)"},
    {S_, "keep_checkpoints", PARAM_INT, "3", 1, 1e6, NULL, "files", "checkpoints kept (the newest)"},
    {S_, "wall_budget", PARAM_REAL, "0", 0, 1e9, NULL, "s", "checkpoint and exit 75 (requeue) before this much wall time (0: none)"},
    {S_, "threads", PARAM_INT, "1", 0, 4096, NULL, "threads", "OpenMP threads per rank (the Adam update; 0: OpenMP's default)"},
    {S_, "log_every", PARAM_INT, "50", 1, 1e9, NULL, "steps", "a progress line every this many steps"},
    PARAM_END};
static const char *const metric_sections[] = {S_, NULL};

static int tokens(const char *text, char out[][64], int max)
{
    char *copy = xstrdup(text), *save = NULL;
    int n = 0;
    for (char *t = strtok_r(copy, ", ", &save); t && n < max; t = strtok_r(NULL, ", ", &save)) snprintf(out[n++], 64, "%s", t);
    free(copy);
    return n;
}

/* The only /features/<model>/<tap>/<mode> of a file, or `want` when given. */
static int pick_set(const char *file, const char *want, char *path, size_t n)
{
    h5_quiet();
    static featfile_set sets[256];
    int nsets, found = 0;
    if (featfile_list(file, 0, sets, 256, &nsets) != 0) return -1;
    for (int i = 0; i < nsets; i++)
        if (want[0] ? strcmp(sets[i], want) == 0 : 1) {
            if (found == 0) snprintf(path, n, "%.319s", sets[i]);
            found++;
        }
    if (found == 0) return error_set("%s: no feature set %s", file, want[0] ? want : "at all");
    if (found > 1) return error_set("%s: %d feature sets: name one with [metric] feature_set", file, found);
    return 0;
}

/* Catalogue metadata `name` per snapshot, and its observers per snapshot. */
static int read_meta(const char *cat, const char *name, double **v, int64_t *nsnap, int *K)
{
    h5_quiet();
    hid_t f = H5Fopen(cat, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return h5_input_error(cat, "cannot open the catalogue");
    char path[2100];
    snprintf(path, sizeof path, "meta/%s", name);
    if (H5Lexists(f, "meta", H5P_DEFAULT) <= 0 || H5Lexists(f, path, H5P_DEFAULT) <= 0 || H5Lexists(f, "images", H5P_DEFAULT) <= 0) {
        H5Fclose(f);
        return error_set("%s: no metadata %s (or no /images)", cat, name);
    }
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT), s = H5Dget_space(d), di = H5Dopen2(f, "images", H5P_DEFAULT), si = H5Dget_space(di);
    hsize_t dims[2] = {0}, idims[4] = {0};
    H5Sget_simple_extent_dims(s, dims, NULL);
    H5Sget_simple_extent_dims(si, idims, NULL);
    *nsnap = (int64_t)dims[0], *K = (int)idims[1];
    *v = xmalloc((dims[0] ? dims[0] : 1) * sizeof **v);
    herr_t rc = H5Sget_simple_extent_ndims(s) == 1 ? H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *v) : -1;
    H5Sclose(s), H5Sclose(si), H5Dclose(di), H5Dclose(d), H5Fclose(f);
    if (rc < 0) return error_set("%s: %s is not a scalar per snapshot", cat, path);
    return 0;
}

static int metric_check(const params *ps, const char *params_text, stage_plan *plan)
{
    (void)params_text;
    const int64_t B = params_int(ps, S_, "batch");
    const int R = log_size();
    if (B % R != 0 && !params_bool(ps, S_, "allow_uneven_batch"))
        return error_set("%s: [metric] batch = %lld does not divide over %d ranks (set allow_uneven_batch = true to run anyway)",
                         params_origin(ps, S_, "batch"), (long long)B, R);
    char names[32][64];
    if (tokens(params_string(ps, S_, "metadata"), names, 32) == 0)
        return error_set("%s: [metric] metadata is empty", params_origin(ps, S_, "metadata"));
    if (tokens(params_string(ps, S_, "train_projections"), names, 32) == 0)
        return error_set("%s: [metric] train_projections is empty", params_origin(ps, S_, "train_projections"));
    if (plan_file_input(plan, ps, S_, "catalogue", PLAN_OTHER) != 0 || plan_file_input(plan, ps, S_, "features", PLAN_OTHER) != 0 ||
        plan_output_dir(ps, S_, "output_dir") != 0)
        return -1;
    return 0;
}

typedef struct {
    const char *dir;
    int64_t keep;
} ckpt_opts;

static void save(const char *path, const metric_trainer *t, const metric_state *st, const char *text, bool with_adam)
{
    int rc = 0;
    if (log_rank() == 0) rc = metric_file_write(path, &t->s, t->p, with_adam ? &t->opt : NULL, st, text);
    collective_fail_if(rc != 0);
}

static void save_checkpoint(const ckpt_opts *o, const metric_trainer *t, const metric_state *st, const char *text)
{
    static int64_t last = -1;
    if (st->step == last) return;
    last = st->step;
    char *path = checkpoint_path(o->dir, st->step);
    save(path, t, st, text, true);
    if (log_rank() == 0) checkpoint_prune(o->dir, (int)o->keep);
    jlog("checkpoint", "\"step\": %lld, \"path\": \"%s\"", (long long)st->step, path);
    free(path);
    MPI_Barrier(MPI_COMM_WORLD);
}

typedef struct {
    const metric_trainer *t;
    const char *set;
    int64_t S;
} resume_ctx;

/* A checkpoint this run can resume from: it reads, and holds this network on this feature set and schedule. */
static int resume_accept(const char *path, void *vctx)
{
    const resume_ctx *c = vctx;
    mlp_shape s;
    float *p = NULL;
    metric_state cs;
    int rc = metric_file_read(path, &s, &p, NULL, &cs);
    if (rc == 0 && (s.n != c->t->s.n || s.C != c->t->s.C || s.H1 != c->t->s.H1 || s.H2 != c->t->s.H2))
        rc = error_set("%s: another network shape", path);
    if (rc == 0 && (strcmp(cs.feature_set, c->set) != 0 || cs.steps_per_epoch != c->S))
        rc = error_set("%s: another feature set or schedule", path);
    free(p);
    if (rc == 0) metric_history_free(&cs.hist);
    return rc;
}

/* Rank 0 picks the newest checkpoint that reads and fits; every rank loads it. */
static int resume(const char *dir, metric_trainer *t, metric_state *st, const char *set, int64_t S, char **used)
{
    resume_ctx ctx = {t, set, S};
    char *chosen = log_rank() == 0 ? checkpoint_newest(dir, "metric", resume_accept, &ctx) : NULL;
    char *path = mpi_bcast_string(chosen ? chosen : "");
    free(chosen);
    if (!path[0]) {
        free(path);
        return 0;
    }
    mlp_shape s;
    float *p = NULL;
    int rc = metric_file_read(path, &s, &p, &t->opt, st);
    if (rc == 0) memcpy(t->p, p, s.n * sizeof *p);
    free(p);
    collective_fail_if(rc != 0);
    *used = path;
    return 1;
}

static int metric_run(const params *ps, const char *params_text)
{
    const char *feat = params_string(ps, S_, "features"), *cat = params_string(ps, S_, "catalogue");
    const char *dir = params_string(ps, S_, "output_dir");
    const int64_t epochs = params_int(ps, S_, "epochs"), T = params_int(ps, S_, "triplets_per_epoch"),
                  B = params_int(ps, S_, "batch"), max_steps = params_int(ps, S_, "max_steps"),
                  ck_every = params_int(ps, S_, "checkpoint_every"), log_every = params_int(ps, S_, "log_every");
    const double wall_budget = params_real(ps, S_, "wall_budget"), lr = params_real(ps, S_, "lr");
    const uint64_t seed = (uint64_t)params_int(ps, S_, "seed");
    signals_catch_stop();
    if (params_int(ps, S_, "threads") > 0) omp_set_num_threads((int)params_int(ps, S_, "threads"));
    collective_fail_if(log_rank() == 0 && path_make_parent_dir(dir) != 0);
    int lock = -1;
    if (log_rank() == 0) {
        char path[4200], what[4200];
        snprintf(path, sizeof path, "%s/metric.lock", dir);
        snprintf(what, sizeof what, "[metric] output_dir %s", dir);
        lock = lockfile_take(path, what);
    }
    collective_fail_if(log_rank() == 0 && lock < 0);

    /* the feature set, the metadata and the training images */
    char set[320] = "", dset[340];
    collective_fail_if(pick_set(feat, params_string(ps, S_, "feature_set"), set, sizeof set) != 0);
    snprintf(dset, sizeof dset, "/features/%s", set);
    char mnames[32][64], pk[32][64];
    int nq = tokens(params_string(ps, S_, "metadata"), mnames, 32), npk = tokens(params_string(ps, S_, "train_projections"), pk, 32);
    int64_t nsnap = 0;
    int K = 0;
    double **meta = xcalloc((size_t)nq, sizeof *meta);
    for (int i = 0; i < nq; i++) {
        int64_t ns = 0;
        int k = 0;
        collective_fail_if(read_meta(cat, mnames[i], &meta[i], &ns, &k) != 0);
        nsnap = ns, K = k;
    }
    bool use_k[64] = {false};
    for (int i = 0; i < npk; i++) {
        int k = atoi(pk[i]);
        collective_fail_if(k < 1 || k > K || k > 64 ? error_set("%s: [metric] train_projections: %s is not an observer 1..%d of %s",
                                                               params_origin(ps, S_, "train_projections"), pk[i], K, cat) != 0
                                                  : false);
        use_k[k - 1] = true;
    }
    int C = 0;
    int64_t N = 0;
    float *X = NULL;
    collective_fail_if(featfile_read_rows(feat, dset, 0, -1, &C, &N, &X) != 0);
    collective_fail_if(N != nsnap * K && error_set("%s: %s has %lld rows, the catalogue %s %lld snapshots x %d observers", feat, dset,
                                                   (long long)N, cat, (long long)nsnap, K));
    int64_t ntr = 0;
    double *q = xmalloc((size_t)(N ? N : 1) * nq * sizeof *q);
    for (int64_t i = 0; i < N; i++) {
        if (!use_k[i % K]) continue;
        if (ntr != i) memmove(X + (size_t)ntr * C, X + (size_t)i * C, (size_t)C * sizeof *X);
        for (int j = 0; j < nq; j++) q[ntr * nq + j] = meta[j][i / K];
        ntr++;
    }
    for (int i = 0; i < nq; i++) free(meta[i]);
    free(meta);
    collective_fail_if(ntr < 3 && error_set("metric: %lld training images in %s: too few for triplets", (long long)ntr, dset));

    mlp_shape s;
    mlp_shape_init(&s, C, (int)params_int(ps, S_, "hidden1"), (int)params_int(ps, S_, "hidden2"), (int)params_int(ps, S_, "embedding_dim"));
    metric_trainer t;
    metric_trainer_init(&t, &s, X, (int)B, params_real(ps, S_, "dropout"), params_real(ps, S_, "l2"), seed,
                        params_bool(ps, S_, "triplet_mask_satisfied"), lr, params_real(ps, S_, "beta1"),
                        params_real(ps, S_, "beta2"), params_real(ps, S_, "eps"));
    const int64_t S = (T + B - 1) / B;
    if (!metric_trainer_exact(&t))
        warning0("metric: %d ranks do not divide the 8 gradient chunks: the weights will differ (in rounding) from a one-rank run", t.R);
    message0("metric: %s: %lld training images (observers %s of %d) of %lld, C = %d; MLP %d-%d-%d-%d (%zu parameters); "
             "%lld epochs x %lld triplets in %lld steps of %lld over %d rank(s)",
             set, (long long)ntr, params_string(ps, S_, "train_projections"), K, (long long)N, C, C, s.H1, s.H2, s.D, s.n,
             (long long)epochs, (long long)T, (long long)S, (long long)B, t.R);

    metric_state st = {.seed = (int64_t)seed, .steps_per_epoch = S};
    snprintf(st.feature_set, sizeof st.feature_set, "%s", set);
    snprintf(st.meta, sizeof st.meta, "%s", params_string(ps, S_, "metadata"));
    char *resumed = NULL;
    if (resume(dir, &t, &st, set, S, &resumed))
        message0("metric: resuming from %s (step %lld, epoch %lld, step %lld of the epoch)", resumed, (long long)st.step,
                 (long long)st.epoch, (long long)st.step_in_epoch);
    char logpath[4200];
    snprintf(logpath, sizeof logpath, "%s/metric.log.jsonl", dir);
    jlog_open_append(logpath);
    char *qt = json_quote_alloc(params_text);
    jlog("start", "\"stage\": \"metric\", \"ranks\": %d, \"resumed_from\": \"%s\", \"step\": %lld, \"parameters\": %s", t.R,
         resumed ? resumed : "", (long long)st.step, qt);
    free(qt);

    ckpt_opts co = {dir, params_int(ps, S_, "keep_checkpoints")};
    int64_t *trip = xmalloc((size_t)T * 3 * sizeof *trip);
    const int64_t total = max_steps > 0 && max_steps < epochs * S ? max_steps : epochs * S;
    bool stop = false, done = st.step >= total;
    double t0 = log_elapsed(), step_time = 0;
    int64_t steps_run = 0;
    while (!done && !stop && st.epoch < epochs) {
        int64_t draws = metric_draw_triplets(seed, st.epoch, q, ntr, nq, T, trip);
        if (st.step_in_epoch > 0 && st.rng_draws != draws)
            warning0("metric: the epoch's triplet stream made %lld draws, the checkpoint recorded %lld", (long long)draws,
                     (long long)st.rng_draws);
        st.rng_draws = draws;
        while (st.step_in_epoch < S && !stop && !done) {
            double ts = log_elapsed(), v[3];
            int64_t b0 = st.step_in_epoch * B;
            int nb = (int)(T - b0 < B ? T - b0 : B);
            metric_trainer_step(&t, trip + 3 * b0, nb, st.step, v);
            st.step++, st.step_in_epoch++, steps_run++;
            metric_history_add(&st.hist, (double[4]){v[0], v[1], v[2], lr});
            step_time = log_elapsed() - ts;
            jlog("step", "\"step\": %lld, \"epoch\": %lld, \"objective\": %.17g, \"triplet_loss\": %.17g, \"l2\": %.17g, \"batch\": %d, "
                 "\"seconds\": %.5f", (long long)st.step, (long long)st.epoch, v[0], v[1], v[2], nb, step_time);
            if (st.step % log_every == 0 || st.step == total) {
                double el = log_elapsed() - t0;
                message0("metric: epoch %lld/%lld step %lld/%lld (%lld of %lld): objective %.6g (triplet loss %.6g, L2 %.4g), "
                         "%.0f triplets/s", (long long)st.epoch + 1, (long long)epochs, (long long)st.step_in_epoch, (long long)S,
                         (long long)st.step, (long long)total, v[0], v[1], v[2], steps_run * (double)B / el);
            }
            done = st.step >= total;
            const char *sig = "";
            bool local_stop = signals_stop_requested(&sig);
            bool budget = wall_budget > 0 && log_elapsed() + 2.0 * step_time + 5.0 > wall_budget;
            stop = collective_any(local_stop || budget) && !done;
            if (stop) {
                message0("metric: stopping at step %lld (%s): checkpoint, then exit status %d for a requeue", (long long)st.step,
                         local_stop ? sig : "wall budget", SYNOBS_EXIT_REQUEUE);
                jlog("stop", "\"step\": %lld, \"reason\": \"%s\"", (long long)st.step, local_stop ? sig : "wall budget");
            }
            if (stop || (ck_every > 0 && st.step % ck_every == 0 && !done)) save_checkpoint(&co, &t, &st, params_text);
        }
        if (st.step_in_epoch == S) {
            double m = 0;
            for (int64_t i = st.hist.nsteps - S; i < st.hist.nsteps; i++) m += st.hist.obj[i];
            m /= (double)S;
            metric_history_add_epoch(&st.hist, m);
            message0("metric: epoch %lld done: mean objective %.6g", (long long)st.epoch + 1, m);
            jlog("epoch", "\"epoch\": %lld, \"step\": %lld, \"objective\": %.17g", (long long)st.epoch + 1, (long long)st.step, m);
            st.epoch++, st.step_in_epoch = 0, st.rng_draws = 0;
            done = done || st.epoch >= epochs;
            if (!done && !stop) save_checkpoint(&co, &t, &st, params_text);
        }
    }
    int status = 0;
    if (stop) status = SYNOBS_EXIT_REQUEUE;
    else {
        save_checkpoint(&co, &t, &st, params_text);
        char model[4200];
        snprintf(model, sizeof model, "%s/model.h5", dir);
        save(model, &t, &st, params_text, false);
        double el = log_elapsed() - t0;
        message0("metric: done: %lld steps in %.2f s this run; model %s", (long long)st.step, el, model);
        jlog("end", "\"step\": %lld, \"model\": \"%s\", \"seconds\": %.3f", (long long)st.step, model, el);
    }
    jlog_close();
    lockfile_release(lock);
    metric_trainer_free(&t);
    metric_history_free(&st.hist);
    free(trip), free(q), free(X), free(resumed);
    signals_default();
    return status;
}

const stage stage_metric = {"metric", "train the triplet-loss MLP (analogues §8) data-parallel on cached GAP features",
                            metric_params, metric_sections, metric_run, NULL, metric_check};
