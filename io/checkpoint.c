/**
 * @file checkpoint.c
 * @brief Training checkpoints in HDF5 (see checkpoint.h).
 */
#include "io/checkpoint.h"

#include <dirent.h>
#include <fcntl.h>
#include <hdf5.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/check.h"
#include "core/log.h"
#include "io/h5util.h"
#include "io/nnweights.h"
#include "io/provenance.h"

static const char *const step_names[HIST_STEP_SERIES] = {"loss", "mse", "freq", "lr"};
static const char *const epoch_names[HIST_EPOCH_SERIES] = {"epoch_train_loss", "val_loss", "val_maxrel_median",
                                                          "val_zncc", "val_ssim"};

/* ---- history ---------------------------------------------------------------------------------- */

static void grow(double **series, int nseries, int64_t *cap, int64_t need)
{
    if (need <= *cap) return;
    int64_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    for (int i = 0; i < nseries; i++) {
        double *p = realloc(series[i], (size_t)c * sizeof *p);
        ALLOC_CHECK(p, (size_t)c * sizeof *p);
        series[i] = p;
    }
    *cap = c;
}

void history_add_step(train_history *h, const double v[HIST_STEP_SERIES])
{
    grow(h->step, HIST_STEP_SERIES, &h->cap_steps, h->nsteps + 1);
    for (int i = 0; i < HIST_STEP_SERIES; i++) h->step[i][h->nsteps] = v[i];
    h->nsteps++;
}

void history_add_epoch(train_history *h, const double v[HIST_EPOCH_SERIES])
{
    grow(h->epoch, HIST_EPOCH_SERIES, &h->cap_epochs, h->nepochs + 1);
    for (int i = 0; i < HIST_EPOCH_SERIES; i++) h->epoch[i][h->nepochs] = v[i];
    h->nepochs++;
}

void history_free(train_history *h)
{
    for (int i = 0; i < HIST_STEP_SERIES; i++) free(h->step[i]);
    for (int i = 0; i < HIST_EPOCH_SERIES; i++) free(h->epoch[i]);
    memset(h, 0, sizeof *h);
}

/* ---- writing ---------------------------------------------------------------------------------- */

static void write_f64(hid_t loc, const char *name, const double *v, int64_t n)
{
    hsize_t dim = (hsize_t)n, chunk = n > 65536 ? 65536 : (hsize_t)(n > 0 ? n : 1);
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t dcpl = n > 0 ? h5_dcpl_chunked(1, &chunk) : H5Pcreate(H5P_DATASET_CREATE);
    hid_t d = H5Dcreate(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5_CHECK(d);
    if (n > 0) H5_CHECK(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
}

static void write_f32_flat(hid_t loc, const char *name, const float *v, size_t n)
{
    hsize_t dim = n, chunk = n > ((size_t)1 << 22) ? (hsize_t)1 << 22 : n;
    hid_t sp = H5Screate_simple(1, &dim, NULL), dcpl = h5_dcpl_chunked(1, &chunk);
    hid_t d = H5Dcreate(loc, name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5_CHECK(d);
    H5_CHECK(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
}

static void sync_directory(const char *path)
{
    char *copy = xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

int checkpoint_write(const char *path, const nn_graph *g, const nn_adam *opt, const train_state *st,
                      const char *params_text)
{
    char *tmp;
    hid_t f = h5_create_partial(path, &tmp);
    h5_attr_string(f, "format", "synobs-checkpoint-1");
    provenance_write(f, "train", params_text);
    h5_attr_i64(f, "step", st->step);
    h5_attr_i64(f, "epoch", st->epoch);
    h5_attr_i64(f, "step_in_epoch", st->step_in_epoch);
    h5_attr_i64(f, "steps_per_epoch", st->steps_per_epoch);
    h5_attr_i64(f, "seed", st->seed);
    h5_attr_i64(f, "bn_batches", g->bn_batches);
    h5_attr_i64(f, "adam_step", opt ? opt->step : 0);
    h5_attr_i64(f, "grid", st->model.grid);
    h5_attr_i64(f, "channels", st->model.channels);
    h5_attr_i64(f, "single_frequency", st->model.single_frequency);
    h5_attr_i64(f, "tanh_output", st->model.tanh_output);
    const nn_norm *nm = &st->norm;
    const double norm[] = {nm->v_mean, nm->v_std, nm->t_min, nm->t_scale, nm->n_min,
                           nm->n_scale, nm->i_min, nm->i_max, nm->i_scale, nm->i_clip};
    hsize_t nn = sizeof norm / sizeof *norm;
    hid_t sp = H5Screate_simple(1, &nn, NULL);
    hid_t a = H5Acreate(f, "normalisation", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(a);
    H5_CHECK(H5Awrite(a, H5T_NATIVE_DOUBLE, norm));
    H5Aclose(a);
    H5Sclose(sp);
    h5_attr_string(f, "normalisation_order", "v_mean v_std t_min t_scale n_min n_scale i_min i_max i_scale i_clip");
    nn_h5_write(f, "params", g, NN_H5_PARAMS, g->params);
    nn_h5_write(f, "buffers", g, NN_H5_BUFFERS, g->buffers);
    if (opt) {
        hid_t ad = H5Gcreate(f, "adam", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5_CHECK(ad);
        write_f32_flat(ad, "exp_avg", opt->m, opt->n);
        write_f32_flat(ad, "exp_avg_sq", opt->v, opt->n);
        H5Gclose(ad);
    }
    hid_t h = H5Gcreate(f, "history", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(h);
    for (int i = 0; i < HIST_STEP_SERIES; i++) write_f64(h, step_names[i], st->hist.step[i], st->hist.nsteps);
    for (int i = 0; i < HIST_EPOCH_SERIES; i++) write_f64(h, epoch_names[i], st->hist.epoch[i], st->hist.nepochs);
    H5Gclose(h);
    if (h5_commit_partial(f, tmp, path) != 0) return -1;
    sync_directory(path);
    return 0;
}

/* ---- reading ---------------------------------------------------------------------------------- */

static int read_i64(hid_t f, const char *path, const char *name, int64_t *v)
{
    if (H5Aexists(f, name) <= 0) return error_set("%s: not a synobs checkpoint (no attribute '%s')", path, name);
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    int rc = H5Aread(a, H5T_NATIVE_INT64, v) < 0 ? h5_input_error(path, "cannot read attribute '%s'", name) : 0;
    H5Aclose(a);
    return rc;
}

static int read_series(hid_t f, const char *path, const char *name, double **dst, int64_t *n)
{
    char where[128];
    snprintf(where, sizeof where, "history/%s", name);
    if (H5Lexists(f, "history", H5P_DEFAULT) <= 0 || H5Lexists(f, where, H5P_DEFAULT) <= 0)
        return error_set("%s: no dataset '%s'", path, where);
    hid_t d = H5Dopen(f, where, H5P_DEFAULT), sp = H5Dget_space(d);
    hsize_t dim = 0;
    H5Sget_simple_extent_dims(sp, &dim, NULL);
    H5Sclose(sp);
    *n = (int64_t)dim;
    *dst = xmalloc((dim ? dim : 1) * sizeof **dst);
    int rc = dim && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *dst) < 0
                 ? h5_input_error(path, "cannot read '%s' (corrupted?)", where)
                 : 0;
    H5Dclose(d);
    return rc;
}

int checkpoint_read_state(const char *path, train_state *st)
{
    memset(st, 0, sizeof *st);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return h5_input_error(path, "cannot open as HDF5");
    char fmt[64] = "";
    int rc = h5_attr_read_string(f, "format", fmt, sizeof fmt) != 0 || strcmp(fmt, "synobs-checkpoint-1") != 0
                 ? error_set("%s: not a synobs checkpoint or model (attribute format is '%s')", path, fmt)
                 : 0;
    int64_t grid = 0, ch = 0, sf = 0, th = 0;
    if (rc == 0) rc = read_i64(f, path, "step", &st->step);
    if (rc == 0) rc = read_i64(f, path, "epoch", &st->epoch);
    if (rc == 0) rc = read_i64(f, path, "step_in_epoch", &st->step_in_epoch);
    if (rc == 0) rc = read_i64(f, path, "steps_per_epoch", &st->steps_per_epoch);
    if (rc == 0) rc = read_i64(f, path, "seed", &st->seed);
    if (rc == 0) rc = read_i64(f, path, "grid", &grid);
    if (rc == 0) rc = read_i64(f, path, "channels", &ch);
    if (rc == 0) rc = read_i64(f, path, "single_frequency", &sf);
    if (rc == 0) rc = read_i64(f, path, "tanh_output", &th);
    st->model = (coemunet_config){(int)grid, (int)ch, sf != 0, th != 0};
    if (rc == 0) {
        double norm[10];
        if (H5Aexists(f, "normalisation") <= 0) rc = error_set("%s: no attribute 'normalisation'", path);
        else {
            hid_t a = H5Aopen(f, "normalisation", H5P_DEFAULT), sp = H5Aget_space(a);
            if (H5Sget_simple_extent_npoints(sp) != 10 || H5Aread(a, H5T_NATIVE_DOUBLE, norm) < 0)
                rc = error_set("%s: attribute 'normalisation' should hold 10 numbers", path);
            H5Sclose(sp);
            H5Aclose(a);
            st->norm = (nn_norm){norm[0], norm[1], norm[2], norm[3], norm[4], norm[5], norm[6], norm[7], norm[8], (int)norm[9]};
        }
    }
    for (int i = 0; i < HIST_STEP_SERIES && rc == 0; i++) {
        rc = read_series(f, path, step_names[i], &st->hist.step[i], &st->hist.nsteps);
        st->hist.cap_steps = st->hist.nsteps;
    }
    for (int i = 0; i < HIST_EPOCH_SERIES && rc == 0; i++) {
        rc = read_series(f, path, epoch_names[i], &st->hist.epoch[i], &st->hist.nepochs);
        st->hist.cap_epochs = st->hist.nepochs;
    }
    if (rc == 0 && st->hist.nsteps != st->step)
        rc = error_set("%s: history/loss has %lld entries for %lld steps", path, (long long)st->hist.nsteps, (long long)st->step);
    H5Fclose(f);
    return rc;
}

static int read_flat(hid_t f, const char *path, const char *name, float *dst, size_t n)
{
    if (H5Lexists(f, "adam", H5P_DEFAULT) <= 0 || H5Lexists(f, name, H5P_DEFAULT) <= 0)
        return error_set("%s: no dataset '%s' (a model file, not a checkpoint?)", path, name);
    hid_t d = H5Dopen(f, name, H5P_DEFAULT), sp = H5Dget_space(d);
    int rc = (size_t)H5Sget_simple_extent_npoints(sp) != n ? error_set("%s: '%s' has the wrong size", path, name) : 0;
    if (rc == 0 && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0)
        rc = h5_input_error(path, "cannot read '%s' (corrupted?)", name);
    H5Sclose(sp);
    H5Dclose(d);
    return rc;
}

int checkpoint_read_tensors(const char *path, nn_graph *g, nn_adam *opt)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return h5_input_error(path, "cannot open as HDF5");
    int64_t bn = 0, astep = 0;
    int rc = nn_h5_read(f, path, "params", g, NN_H5_PARAMS, g->params);
    if (rc == 0) rc = nn_h5_read(f, path, "buffers", g, NN_H5_BUFFERS, g->buffers);
    if (rc == 0) rc = read_i64(f, path, "bn_batches", &bn);
    if (rc == 0 && opt) rc = read_i64(f, path, "adam_step", &astep);
    if (rc == 0 && opt) rc = read_flat(f, path, "adam/exp_avg", opt->m, opt->n);
    if (rc == 0 && opt) rc = read_flat(f, path, "adam/exp_avg_sq", opt->v, opt->n);
    g->bn_batches = bn;
    if (opt) opt->step = astep;
    H5Fclose(f);
    return rc;
}

/* ---- the directory ---------------------------------------------------------------------------- */

char *checkpoint_path(const char *dir, int64_t step)
{
    size_t n = strlen(dir) + 40;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/checkpoint_%08lld.h5", dir, (long long)step);
    return p;
}

static int by_step_desc(const void *a, const void *b) { return -strcmp(*(char *const *)a, *(char *const *)b); }

char **checkpoint_list(const char *dir, int *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **list = NULL;
    int cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        long long step;
        char tail[8] = "";
        /* exactly checkpoint_<digits>.h5: not the .partial files of an interrupted write */
        if (len < 15 || sscanf(e->d_name, "checkpoint_%lld%7s", &step, tail) != 2 || strcmp(tail, ".h5") != 0) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            list = realloc(list, (size_t)cap * sizeof *list);
            ALLOC_CHECK(list, (size_t)cap * sizeof *list);
        }
        size_t m = strlen(dir) + len + 2;
        list[*n] = xmalloc(m);
        snprintf(list[(*n)++], m, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (*n) qsort(list, (size_t)*n, sizeof *list, by_step_desc); /* fixed-width steps: name order is step order */
    return list;
}

char *checkpoint_newest(const char *dir, const char *stage, int (*accept)(const char *path, void *ctx), void *ctx)
{
    int n;
    char **list = checkpoint_list(dir, &n), *chosen = NULL;
    for (int i = 0; i < n && !chosen; i++) {
        if (accept(list[i], ctx) == 0) {
            chosen = xstrdup(list[i]);
        } else {
            warning0("%s: skipping checkpoint %s: %s", stage, list[i], error_message());
            error_clear();
        }
    }
    for (int i = 0; i < n; i++) free(list[i]);
    free(list);
    return chosen;
}

void checkpoint_prune(const char *dir, int keep)
{
    int n;
    char **list = checkpoint_list(dir, &n);
    for (int i = 0; i < n; i++) {
        if (i >= keep) unlink(list[i]);
        free(list[i]);
    }
    free(list);
}
