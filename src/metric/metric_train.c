/**
 * @file metric_train.c
 * @brief Triplets, the data-parallel step and the model file of the triplet MLP (see metric_train.h).
 */
#include "metric/metric_train.h"

#include <hdf5.h>
#include <mpi.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/rng.h"
#include "io/h5util.h"
#include "io/provenance.h"
#include "match/triplet.h"

#define STREAM_TRIPLETS 0x545249504c4554ULL /* "TRIPLET" */

int64_t metric_draw_triplets(uint64_t seed, int64_t epoch, const double *q, int64_t n_train, int k, int64_t T, int64_t *trip)
{
    rng r;
    rng_seed(&r, seed, STREAM_TRIPLETS + (uint64_t)epoch);
    int64_t draws = 0;
    for (int64_t t = 0; t < T;) {
        int64_t m[3];
        for (int j = 0; j < 3; j++) m[j] = (int64_t)(rng_uniform(&r) * (double)n_train);
        draws++;
        double score = match_triplet_score(q + m[0] * k, q + m[1] * k, q + m[2] * k, (size_t)k, NULL);
        int p, n;
        if (match_triplet_label(score, &p, &n) != 0) continue; /* Score = 0: resample */
        trip[3 * t] = m[0], trip[3 * t + 1] = m[p - 1], trip[3 * t + 2] = m[n - 1];
        t++;
    }
    return draws;
}

void metric_trainer_init(metric_trainer *t, const mlp_shape *s, const float *X, int max_batch, double P, double lambda,
                         uint64_t seed, bool mask_satisfied, double lr, double beta1, double beta2, double eps)
{
    memset(t, 0, sizeof *t);
    t->s = *s, t->X = X, t->P = P, t->lambda = lambda, t->seed = seed, t->mask_satisfied = mask_satisfied;
    t->max_batch = max_batch;
    t->p = xmalloc(s->n * sizeof *t->p);
    mlp_init(s, t->p, seed);
    nn_adam_init(&t->opt, s->n, lr, beta1, beta2, eps, 0.0); /* L2 on kernels only: added to the gradient */
    t->comm = gradcomm_new();
    t->R = gradcomm_size(t->comm);
    MPI_Comm_rank(MPI_COMM_WORLD, &t->rank);
    t->slots = xcalloc((size_t)t->R * s->n, sizeof *t->slots);
    int nl = metric_trainer_exact(t) ? METRIC_LEAVES / t->R : 1;
    t->leaves = xcalloc((size_t)nl * s->n, sizeof *t->leaves);
    int m = 3 * (max_batch / t->R + 1);
    mlp_work_init(&t->w, s, m);
    t->mask0 = xmalloc((size_t)m * s->C * sizeof(float));
    t->mask1 = xmalloc((size_t)m * s->H1 * sizeof(float));
    t->mask2 = xmalloc((size_t)m * s->H2 * sizeof(float));
    t->dl = xmalloc((size_t)max_batch * sizeof *t->dl);
}

void metric_trainer_free(metric_trainer *t)
{
    free(t->p), free(t->slots), free(t->leaves), free(t->mask0), free(t->mask1), free(t->mask2), free(t->dl);
    mlp_work_free(&t->w);
    nn_adam_free(&t->opt);
    gradcomm_free(t->comm);
    memset(t, 0, sizeof *t);
}

bool metric_trainer_exact(const metric_trainer *t) { return METRIC_LEAVES % t->R == 0; }

/* Triplets [t0, t1) of the batch: forward, loss, backward into g (zeroed by the caller). */
static void run_triplets(metric_trainer *t, const int64_t *trip, int64_t t0, int64_t t1, int64_t step, float *g)
{
    const mlp_shape *s = &t->s;
    const int D = s->D;
    int m = (int)(3 * (t1 - t0));
    if (m == 0) return;
    const float *x[m];
    for (int64_t i = t0; i < t1; i++)
        for (int j = 0; j < 3; j++) {
            int k = (int)(3 * (i - t0) + j);
            x[k] = t->X + (size_t)trip[3 * i + j] * s->C;
            int64_t gs = 3 * i + j; /* global sample index in the step */
            mlp_dropout_mask(t->seed, step, gs, 0, t->P, s->C, t->mask0 + (size_t)k * s->C);
            mlp_dropout_mask(t->seed, step, gs, 1, t->P, s->H1, t->mask1 + (size_t)k * s->H1);
            mlp_dropout_mask(t->seed, step, gs, 2, t->P, s->H2, t->mask2 + (size_t)k * s->H2);
        }
    mlp_forward(s, t->p, m, x, t->mask0, t->mask1, t->mask2, &t->w);
    double fa[D], fp[D], fn[D], ga[D], gp[D], gn[D];
    memset(ga, 0, sizeof ga), memset(gp, 0, sizeof gp), memset(gn, 0, sizeof gn);
    for (int64_t i = t0; i < t1; i++) {
        const float *o = t->w.out + (size_t)3 * (i - t0) * D;
        for (int j = 0; j < D; j++) fa[j] = o[j], fp[j] = o[D + j], fn[j] = o[2 * D + j];
        double dap, dan;
        double L = match_triplet_loss_grad(fa, fp, fn, (size_t)D, ga, gp, gn, &dap, &dan);
        if (t->mask_satisfied && dap < dan) { /* [choice] triplet_mask_satisfied: no loss for satisfied triplets */
            L = 0;
            for (int j = 0; j < D; j++) ga[j] = gp[j] = gn[j] = 0;
        }
        t->dl[i] = L;
        float *d = t->w.dout + (size_t)3 * (i - t0) * D;
        for (int j = 0; j < D; j++) d[j] = (float)ga[j], d[D + j] = (float)gp[j], d[2 * D + j] = (float)gn[j];
    }
    mlp_backward(s, t->p, &t->w, g);
}

void metric_trainer_step(metric_trainer *t, const int64_t *trip, int B, int64_t step, double v[3])
{
    if (!(B <= t->max_batch)) synobs_fatal(__FILE__, __LINE__, "metric", "internal", "metric step: batch %d > %d", B, t->max_batch);
    const size_t n = t->s.n;
    const int R = t->R, r = t->rank;
    memset(t->slots, 0, (size_t)R * n * sizeof *t->slots);
    for (int i = 0; i < B; i++) t->dl[i] = 0;
    float *mine = t->slots + (size_t)r * n;
    if (metric_trainer_exact(t)) {
        int per = METRIC_LEAVES / R, c0 = r * per;
        memset(t->leaves, 0, (size_t)per * n * sizeof *t->leaves);
        for (int c = c0; c < c0 + per; c++)
            run_triplets(t, trip, (int64_t)c * B / METRIC_LEAVES, (int64_t)(c + 1) * B / METRIC_LEAVES, step,
                         t->leaves + (size_t)(c - c0) * n);
        mlp_tree_sum(t->leaves, per, n);
        memcpy(mine, t->leaves, n * sizeof *mine);
    } else
        run_triplets(t, trip, (int64_t)r * B / R, (int64_t)(r + 1) * B / R, step, mine);
    /* the one allreduce of the step: every rank's slot, zeros elsewhere */
    if (R > 1) {
        gradcomm_start(t->comm, t->slots, (size_t)R * n);
        gradcomm_wait(t->comm);
        gradcomm_sum_f64(t->comm, t->dl, (size_t)B); /* per-triplet losses, one non-zero per entry */
    }
    mlp_tree_sum(t->slots, R, n);
    double loss = 0;
    for (int i = 0; i < B; i++) loss += t->dl[i];
    loss /= B;
    float *g = t->slots;
    const float inv = 1.0f / (float)B;
    for (size_t i = 0; i < n; i++) g[i] *= inv;
    double l2 = mlp_l2(&t->s, t->p, t->lambda, g);
    nn_adam_step(&t->opt, t->p, g);
    v[0] = loss + l2, v[1] = loss, v[2] = l2;
}

/* ---- history ---------------------------------------------------------------------------------- */

static void grow(double **a, int na, int64_t *cap, int64_t need)
{
    if (need <= *cap) return;
    int64_t c = *cap ? 2 * *cap : 256;
    while (c < need) c *= 2;
    for (int i = 0; i < na; i++) {
        a[i] = realloc(a[i], (size_t)c * sizeof(double));
        ALLOC_CHECK(a[i], (size_t)c * sizeof(double));
    }
    *cap = c;
}

void metric_history_add(metric_history *h, const double v[4])
{
    double *a[4] = {h->obj, h->tl, h->l2, h->lr};
    grow(a, 4, &h->cap, h->nsteps + 1);
    h->obj = a[0], h->tl = a[1], h->l2 = a[2], h->lr = a[3];
    h->obj[h->nsteps] = v[0], h->tl[h->nsteps] = v[1], h->l2[h->nsteps] = v[2], h->lr[h->nsteps] = v[3];
    h->nsteps++;
}

void metric_history_add_epoch(metric_history *h, double v)
{
    grow(&h->epoch_obj, 1, &h->cap_e, h->nepochs + 1);
    h->epoch_obj[h->nepochs++] = v;
}

void metric_history_free(metric_history *h)
{
    free(h->obj), free(h->tl), free(h->l2), free(h->lr), free(h->epoch_obj);
    memset(h, 0, sizeof *h);
}

/* ---- file ------------------------------------------------------------------------------------- */

static void write_arr(hid_t loc, const char *name, hid_t mt, hid_t ft, int rank, const hsize_t *dims, const void *v)
{
    hsize_t total = 1, chunk[2];
    for (int i = 0; i < rank; i++) total *= dims[i], chunk[i] = dims[i] ? dims[i] : 1;
    if (rank == 1 && chunk[0] > 65536) chunk[0] = 65536;
    if (rank == 2 && chunk[0] * chunk[1] > 1048576) chunk[0] = 1048576 / chunk[1] ? 1048576 / chunk[1] : 1;
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = total ? h5_dcpl_chunked(rank, chunk) : H5Pcreate(H5P_DATASET_CREATE);
    hid_t d = H5Dcreate2(loc, name, ft, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5_CHECK(d);
    if (total) H5_CHECK(H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    H5Dclose(d), H5Pclose(dcpl), H5Sclose(sp);
}

static const char *const tnames[6] = {"W1", "b1", "W2", "b2", "W3", "b3"};

static void tensor_dims(const mlp_shape *s, int i, hsize_t d[2], size_t *off)
{
    const int in[3] = {s->C, s->H1, s->H2}, out[3] = {s->H1, s->H2, s->D};
    const size_t offs[6] = {s->w1, s->b1, s->w2, s->b2, s->w3, s->b3};
    d[0] = (hsize_t)in[i / 2], d[1] = (hsize_t)out[i / 2];
    if (i % 2) d[0] = (hsize_t)out[i / 2];
    *off = offs[i];
}

int metric_file_write(const char *path, const mlp_shape *s, const float *p, const nn_adam *opt, const metric_state *st,
                      const char *params_text)
{
    char *tmp;
    hid_t f = h5_create_partial(path, &tmp);
    h5_attr_string(f, "format", "synobs-triplet-mlp-1");
    provenance_write(f, "metric", params_text);
    h5_attr_string(f, "feature_set", st->feature_set);
    h5_attr_string(f, "metadata", st->meta);
    h5_attr_string(f, "network", "x (C) -> channel dropout -> Dense H1 ReLU -> dropout -> Dense H2 ReLU -> dropout -> Dense D; "
                                 "kernels [in, out]: y = x W + b");
    h5_attr_i64(f, "C", s->C), h5_attr_i64(f, "H1", s->H1), h5_attr_i64(f, "H2", s->H2), h5_attr_i64(f, "D", s->D);
    h5_attr_i64(f, "step", st->step), h5_attr_i64(f, "epoch", st->epoch), h5_attr_i64(f, "step_in_epoch", st->step_in_epoch);
    h5_attr_i64(f, "steps_per_epoch", st->steps_per_epoch), h5_attr_i64(f, "seed", st->seed);
    h5_attr_i64(f, "rng_stream_epoch", st->epoch);
    h5_attr_i64(f, "rng_draws", st->rng_draws);
    h5_attr_i64(f, "adam_step", opt ? opt->step : 0);
    hid_t g = H5Gcreate2(f, "params", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(g);
    for (int i = 0; i < 6; i++) {
        hsize_t d[2];
        size_t off;
        tensor_dims(s, i, d, &off);
        write_arr(g, tnames[i], H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, i % 2 ? 1 : 2, d, p + off);
    }
    H5Gclose(g);
    if (opt) {
        hid_t a = H5Gcreate2(f, "adam", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5_CHECK(a);
        hsize_t n = opt->n;
        write_arr(a, "exp_avg", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 1, &n, opt->m);
        write_arr(a, "exp_avg_sq", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 1, &n, opt->v);
        H5Gclose(a);
    }
    hid_t h = H5Gcreate2(f, "history", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(h);
    hsize_t ns = (hsize_t)st->hist.nsteps, ne = (hsize_t)st->hist.nepochs;
    write_arr(h, "objective", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 1, &ns, st->hist.obj);
    write_arr(h, "triplet_loss", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 1, &ns, st->hist.tl);
    write_arr(h, "l2", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 1, &ns, st->hist.l2);
    write_arr(h, "lr", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 1, &ns, st->hist.lr);
    write_arr(h, "epoch_objective", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 1, &ne, st->hist.epoch_obj);
    H5Gclose(h);
    return h5_commit_partial(f, tmp, path);
}

static int read_i64(hid_t f, const char *name, int64_t *v)
{
    double x;
    if (h5_attr_read_f64(f, name, &x) != 0) return -1;
    *v = (int64_t)x;
    return 0;
}

static int read_ds(hid_t f, const char *name, hid_t mt, size_t n, void *v)
{
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) return -1;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT), sp = H5Dget_space(d);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    herr_t rc = (size_t)np == n ? (n ? H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) : 0) : -1;
    H5Sclose(sp), H5Dclose(d);
    return rc < 0 ? -1 : 0;
}

static int64_t ds_len(hid_t f, const char *name)
{
    if (H5Lexists(f, "history", H5P_DEFAULT) <= 0 || H5Lexists(f, name, H5P_DEFAULT) <= 0) return -1;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT), sp = H5Dget_space(d);
    int64_t n = (int64_t)H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp), H5Dclose(d);
    return n;
}

int metric_file_read(const char *path, mlp_shape *s, float **p, nn_adam *opt, metric_state *st)
{
    h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return h5_input_error(path, "cannot open the triplet-MLP model");
    char fmt[64] = "";
    h5_attr_read_string(f, "format", fmt, sizeof fmt);
    int64_t C, H1, H2, D;
    if (strcmp(fmt, "synobs-triplet-mlp-1") != 0 || read_i64(f, "C", &C) || read_i64(f, "H1", &H1) || read_i64(f, "H2", &H2) ||
        read_i64(f, "D", &D)) {
        H5Fclose(f);
        return error_set("%s: not a synobs triplet-MLP model (format synobs-triplet-mlp-1)", path);
    }
    mlp_shape_init(s, (int)C, (int)H1, (int)H2, (int)D);
    *p = xmalloc(s->n * sizeof **p);
    int rc = 0;
    for (int i = 0; i < 6 && rc == 0; i++) {
        hsize_t d[2];
        size_t off;
        char name[32];
        tensor_dims(s, i, d, &off);
        snprintf(name, sizeof name, "params/%s", tnames[i]);
        rc = read_ds(f, name, H5T_NATIVE_FLOAT, i % 2 ? d[0] : d[0] * d[1], *p + off);
    }
    if (rc == 0 && opt) {
        if (!(opt->n == s->n)) synobs_fatal(__FILE__, __LINE__, "metric", "internal", "metric_file_read: Adam sized %zu, model %zu", opt->n, s->n);
        rc = read_ds(f, "adam/exp_avg", H5T_NATIVE_FLOAT, s->n, opt->m) || read_ds(f, "adam/exp_avg_sq", H5T_NATIVE_FLOAT, s->n, opt->v) ||
             read_i64(f, "adam_step", &opt->step);
    }
    if (rc == 0 && st) {
        memset(st, 0, sizeof *st);
        rc = read_i64(f, "step", &st->step) || read_i64(f, "epoch", &st->epoch) || read_i64(f, "step_in_epoch", &st->step_in_epoch) ||
             read_i64(f, "steps_per_epoch", &st->steps_per_epoch) || read_i64(f, "seed", &st->seed) ||
             read_i64(f, "rng_draws", &st->rng_draws);
        h5_attr_read_string(f, "feature_set", st->feature_set, sizeof st->feature_set);
        h5_attr_read_string(f, "metadata", st->meta, sizeof st->meta);
        int64_t ns = ds_len(f, "history/objective"), ne = ds_len(f, "history/epoch_objective");
        if (rc == 0 && (ns < 0 || ne < 0)) rc = -1;
        if (rc == 0) {
            metric_history *h = &st->hist;
            double z[4] = {0};
            for (int64_t i = 0; i < ns; i++) metric_history_add(h, z);
            for (int64_t i = 0; i < ne; i++) metric_history_add_epoch(h, 0);
            rc = read_ds(f, "history/objective", H5T_NATIVE_DOUBLE, (size_t)ns, h->obj) ||
                 read_ds(f, "history/triplet_loss", H5T_NATIVE_DOUBLE, (size_t)ns, h->tl) ||
                 read_ds(f, "history/l2", H5T_NATIVE_DOUBLE, (size_t)ns, h->l2) ||
                 read_ds(f, "history/lr", H5T_NATIVE_DOUBLE, (size_t)ns, h->lr) ||
                 read_ds(f, "history/epoch_objective", H5T_NATIVE_DOUBLE, (size_t)ne, h->epoch_obj);
        }
    }
    H5Fclose(f);
    if (rc != 0) {
        free(*p), *p = NULL;
        return error_set("%s: the triplet-MLP model is incomplete or damaged", path);
    }
    return 0;
}
