/**
 * @file train_common.c
 * @brief Shared pieces of the emulator stages (see train_common.h).
 */
#include "stages/train_common.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/log.h"
#include "io/h5util.h"
#include "io/statsfile.h"
#include "mpi/collective.h"
#include "train/loader.h"

int split_indices(dataset *ds, int split, int64_t **index, int64_t *n)
{
    int64_t N = dataset_samples(ds);
    int64_t *field = xmalloc((size_t)(N ? N : 1) * sizeof *field);
    loader_io_lock();
    int rc = dataset_read_field_i64(ds, "split", field);
    loader_io_unlock();
    if (rc < 0) {
        free(field);
        return -1;
    }
    *index = xmalloc((size_t)(N ? N : 1) * sizeof **index);
    *n = 0;
    for (int64_t i = 0; i < N; i++)
        if (rc == 1 || split == SPLIT_ALL || field[i] == split) (*index)[(*n)++] = i;
    free(field);
    return rc;
}

void train_common_data(const params *ps, const char *sec, train_data *td, coemunet_config *mc, nn_norm *norm)
{
    memset(td, 0, sizeof *td);
    const char *path = params_string(ps, sec, "dataset"), *vpath = params_string(ps, sec, "validation_dataset");
    collective_fail_if(dataset_open(path, &td->train_ds) != 0);
    int rc = split_indices(td->train_ds, SPLIT_TRAIN, &td->train_index, &td->n_train);
    collective_fail_if(rc < 0);
    bool has_split = rc == 0;
    if (has_split) {
        td->val_ds = td->train_ds;
        collective_fail_if(split_indices(td->val_ds, SPLIT_VALIDATION, &td->val_index, &td->n_val) < 0);
        if (vpath[0]) warning0("[%s] validation_dataset is ignored: %s has a split field (validation = split 1)", sec, path);
    } else if (vpath[0]) {
        collective_fail_if(dataset_open(vpath, &td->val_ds) != 0);
        collective_fail_if(split_indices(td->val_ds, SPLIT_ALL, &td->val_index, &td->n_val) < 0);
        if (dataset_grid(td->val_ds) != dataset_grid(td->train_ds) || dataset_nfreq(td->val_ds) != dataset_nfreq(td->train_ds)) {
            error_set("[%s] validation_dataset %s has grid %d and %d channels, dataset %s has %d and %d", sec, vpath,
                      dataset_grid(td->val_ds), dataset_nfreq(td->val_ds), path, dataset_grid(td->train_ds),
                      dataset_nfreq(td->train_ds));
            collective_fail_if(true);
        }
    }
    bool single = strcmp(params_string(ps, sec, "model"), "single_frequency") == 0;
    *mc = (coemunet_config){dataset_grid(td->train_ds), dataset_nfreq(td->train_ds), single,
                            !single && params_bool(ps, sec, "tanh_output")};
    if (single && mc->channels != 1) {
        error_set("[%s] model = single_frequency needs one frequency channel; %s has %d", sec, path, mc->channels);
        collective_fail_if(true);
    }
    stat_summary s[NSTAT];
    const char *stats = params_string(ps, sec, "stats");
    rc = statsfile_read(stats, s);
    if (rc == 0) rc = nn_norm_from_stats(s, stats, single, norm);
    collective_fail_if(rc != 0);
}

void train_data_free(train_data *td)
{
    if (td->val_ds && td->val_ds != td->train_ds) dataset_close(td->val_ds);
    if (td->train_ds) dataset_close(td->train_ds);
    free(td->train_index);
    free(td->val_index);
    memset(td, 0, sizeof *td);
}

void train_common_threads(const params *ps, const char *sec)
{
    int threads = (int)params_int(ps, sec, "threads");
    if (threads > 0) omp_set_num_threads(threads);
}

nn_backend train_common_backend(const params *ps, const char *sec)
{
    return strcmp(params_string(ps, sec, "backend"), "reference") == 0 ? NN_BACKEND_REFERENCE : NN_BACKEND_DNNL;
}

void train_common_load_model(const char *path, nn_backend backend, int batch, nn_graph *g, train_state *st)
{
    collective_fail_if(checkpoint_read_state(path, st) != 0);
    nn_graph_init(g, backend);
    collective_fail_if(coemunet_build(g, &st->model) != 0);
    nn_graph_finalize(g);
    collective_fail_if(checkpoint_read_tensors(path, g, NULL) != 0);
    nn_graph_set_batch(g, batch);
}

int path_make_parent_dir(const char *dir)
{
    size_t n = strlen(dir) + 8;
    char *probe = xmalloc(n);
    snprintf(probe, n, "%s/x", dir);
    int rc = path_make_parent(probe);
    free(probe);
    return rc;
}
