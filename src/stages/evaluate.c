/**
 * @file evaluate.c
 * @brief `synobs evaluate`: a trained model's metrics on a split of a dataset (by default the test
 * split: models never seen in training), per sample into HDF5, with the summary the paper reports.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/log.h"
#include "io/checkpoint.h"
#include "io/h5util.h"
#include "io/provenance.h"
#include "mpi/collective.h"
#include "stages/stage.h"
#include "stages/train_common.h"
#include "train/evalset.h"

static const param_decl evaluate_params[] = {
    {"evaluate", "model", PARAM_STRING, NULL, 0, 0, NULL, "", "trained model (model.h5 of synobs train, or a checkpoint)"},
    {"evaluate", "dataset", PARAM_STRING, NULL, 0, 0, NULL, "", "dataset to evaluate on (COEmuNet layout)"},
    {"evaluate", "split", PARAM_CHOICE, "test", 0, 0, "test|validation|train|all", "",
     "which samples, by the dataset's split field (all: every sample; needed for datasets without one)"},
    {"evaluate", "output", PARAM_STRING, NULL, 0, 0, NULL, "", "HDF5 file of per-sample metrics, the CDF and panels"},
    {"evaluate", "batch", PARAM_INT, "8", 1, 1e6, NULL, "samples", "inference batch"},
    {"evaluate", "metric_chunk", PARAM_INT, "500", 1, 1e9, NULL, "samples",
     "samples per metric chunk (SSIM's data range is per chunk and channel, as the reference's 500)"},
    {"evaluate", "panels", PARAM_INT, "4", 0, 64, NULL, "samples",
     "samples whose target and prediction are stored for plots: best to worst MaxRel at even quantiles"},
    TRAIN_COMMON_PARAMS("evaluate"),
    PARAM_END};

static const char *const evaluate_sections[] = {"evaluate", NULL};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double v;
    int64_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    return x->v < y->v ? -1 : x->v > y->v ? 1 : (x->i > y->i) - (x->i < y->i);
}

/* One contiguous dataset (rank 1 or 4): the per-sample results and panels are small. */
static void write_array(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, int rank, const hsize_t *dims,
                        const void *v)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate(loc, name, file_type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(d);
    if (dims[0]) H5_CHECK(H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    H5Dclose(d);
    H5Sclose(sp);
}

static void write_f64(hid_t loc, const char *name, const double *v, int64_t n)
{
    hsize_t dim = (hsize_t)n;
    write_array(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dim, v);
}

static void write_i64(hid_t loc, const char *name, const int64_t *v, int64_t n)
{
    hsize_t dim = (hsize_t)n;
    write_array(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &dim, v);
}

static int evaluate_check(const params *ps, const char *params_text, stage_plan *plan)
{
    (void)params_text;
    plan_file model, data;
    if (plan_model(plan, ps, "evaluate", "model", &model) != 0 || plan_dataset(plan, ps, "evaluate", "dataset", &data) != 0 ||
        plan_output(ps, "evaluate", "output") != 0)
        return -1;
    if (model.grid && data.grid && (model.grid != data.grid || model.channels != data.channels))
        return error_set("%s: [evaluate] dataset %s has grid %d with %d channel(s), but the model %s is for grid %d with %d",
                         params_origin(ps, "evaluate", "dataset"), data.path, data.grid, data.channels, model.path,
                         model.grid, model.channels);
    if (!data.has_split && strcmp(params_string(ps, "evaluate", "split"), "all") != 0)
        return error_set("%s: [evaluate] dataset %s has no split field, so split = %s cannot be applied: use split = all",
                         params_origin(ps, "evaluate", "split"), data.path, params_string(ps, "evaluate", "split"));
    plan_add(plan, params_string(ps, "evaluate", "output"), PLAN_OTHER, 0, 0, false);
    return 0;
}

static int evaluate_run(const params *ps, const char *params_text)
{
    const char *model_path = params_string(ps, "evaluate", "model"), *output = params_string(ps, "evaluate", "output");
    const char *data_path = params_string(ps, "evaluate", "dataset"), *split_name = params_string(ps, "evaluate", "split");
    const int batch = (int)params_int(ps, "evaluate", "batch"), K = (int)params_int(ps, "evaluate", "panels");
    train_common_threads(ps, "evaluate");
    collective_fail_if(log_rank() == 0 && path_make_parent(output) != 0);

    train_state st;
    nn_graph g;
    train_common_load_model(model_path, train_common_backend(ps, "evaluate"), batch, &g, &st);

    dataset *ds;
    collective_fail_if(dataset_open(data_path, &ds) != 0);
    const int G = dataset_grid(ds), F = dataset_nfreq(ds);
    if (G != st.model.grid || F != st.model.channels) {
        error_set("%s: grid %d with %d channel(s), but the model %s was trained on grid %d with %d", data_path, G, F,
                  model_path, st.model.grid, st.model.channels);
        collective_fail_if(true);
    }
    int split = !strcmp(split_name, "all") ? SPLIT_ALL : !strcmp(split_name, "train") ? SPLIT_TRAIN
              : !strcmp(split_name, "validation") ? SPLIT_VALIDATION : SPLIT_TEST;
    int64_t *index, n;
    int rc = split_indices(ds, split, &index, &n);
    collective_fail_if(rc < 0);
    if (rc == 1 && split != SPLIT_ALL) {
        error_set("%s has no split field, so [evaluate] split = %s cannot be applied: use split = all", data_path, split_name);
        collective_fail_if(true);
    }
    if (n == 0) {
        error_set("%s: the %s split is empty", data_path, split_name);
        collective_fail_if(true);
    }
    message0("evaluate: model %s (step %lld) on %lld %s samples of %s", model_path, (long long)st.step, (long long)n,
             split_name, data_path);
    double t0 = log_elapsed();
    eval_result r;
    collective_fail_if(eval_run(&g, ds, index, n, &st.norm, 0.8, params_int(ps, "evaluate", "metric_chunk"), &r) != 0);
    double seconds = log_elapsed() - t0;

    /* the summary, on every rank (identical) */
    double *sorted = xmalloc((size_t)n * sizeof *sorted), *frac = xmalloc((size_t)n * sizeof *frac);
    memcpy(sorted, r.maxrel, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
    for (int64_t i = 0; i < n; i++) frac[i] = (double)(i + 1) / (double)n;
    double below[3] = {0, 0, 0};
    const double marks[3] = {10, 20, 30};
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++) below[k] += r.maxrel[i] < marks[k];
    for (int k = 0; k < 3; k++) below[k] /= (double)n;
    const double med_maxrel = eval_median(r.maxrel, n), mean_maxrel = eval_mean(r.maxrel, n);
    const double med_zncc = eval_median(r.zncc, n), mean_zncc = eval_mean(r.zncc, n);
    const double med_ssim = eval_median(r.ssim, n), mean_ssim = eval_mean(r.ssim, n);
    message0("evaluate: %lld samples in %.1f s: MaxRel median %.3f%% mean %.3f%%; ZNCC median %.4f mean %.4f; SSIM median "
             "%.4f mean %.4f; MaxRel < 10%%: %.1f%%, < 20%%: %.1f%%, < 30%%: %.1f%% of samples", (long long)n, seconds,
             med_maxrel, mean_maxrel, med_zncc, mean_zncc, med_ssim, mean_ssim, 100 * below[0], 100 * below[1],
             100 * below[2]);

    if (log_rank() == 0) {
        char logpath[4200];
        snprintf(logpath, sizeof logpath, "%s.log.jsonl", output);
        jlog_open(logpath);
        char *q = json_quote_alloc(params_text);
        jlog("summary", "\"model\": \"%s\", \"samples\": %lld, \"median_maxrel\": %.9g, \"mean_maxrel\": %.9g, "
             "\"median_zncc\": %.9g, \"mean_zncc\": %.9g, \"median_ssim\": %.9g, \"mean_ssim\": %.9g, "
             "\"frac_maxrel_below_10\": %.9g, \"frac_maxrel_below_20\": %.9g, \"frac_maxrel_below_30\": %.9g, "
             "\"parameters\": %s", model_path, (long long)n, med_maxrel, mean_maxrel, med_zncc, mean_zncc, med_ssim,
             mean_ssim, below[0], below[1], below[2], q);
        free(q);
        jlog_close();

        /* panels: the samples at even quantiles of MaxRel, best to worst */
        int k = K < n ? K : (int)n;
        ranked *order = xmalloc((size_t)n * sizeof *order);
        int64_t *pick = xmalloc((size_t)(k ? k : 1) * sizeof *pick);
        for (int64_t i = 0; i < n; i++) order[i] = (ranked){r.maxrel[i], i};
        qsort(order, (size_t)n, sizeof *order, cmp_ranked);
        double *pmax = xmalloc((size_t)(k ? k : 1) * sizeof *pmax);
        for (int i = 0; i < k; i++) {
            int64_t at = k > 1 ? (int64_t)llround((double)i * (double)(n - 1) / (k - 1)) : n / 2;
            pick[i] = index[order[at].i];
            pmax[i] = order[at].v;
        }
        size_t per = (size_t)F * G * G;
        float *pred = xmalloc((size_t)(k ? k : 1) * per * sizeof *pred), *targ = xmalloc((size_t)(k ? k : 1) * per * sizeof *targ);
        double *phys = xmalloc(per * sizeof *phys);
        rc = eval_predict(&g, ds, pick, k, &st.norm, pred, targ);
        for (int i = 0; i < k && rc == 0; i++) { /* to physical intensity */
            nn_denorm_intensity(&st.norm, per, pred + i * per, phys);
            for (size_t j = 0; j < per; j++) pred[i * per + j] = (float)phys[j];
            nn_denorm_intensity(&st.norm, per, targ + i * per, phys);
            for (size_t j = 0; j < per; j++) targ[i * per + j] = (float)phys[j];
        }
        if (rc == 0) {
            char *tmp;
            hid_t f = h5_create_partial(output, &tmp);
            provenance_write(f, "evaluate", params_text);
            h5_attr_string(f, "model", model_path);
            h5_attr_string(f, "dataset", data_path);
            h5_attr_string(f, "split", split_name);
            h5_attr_i64(f, "n_samples", n);
            h5_attr_f64(f, "median_maxrel", med_maxrel);
            h5_attr_f64(f, "mean_maxrel", mean_maxrel);
            h5_attr_f64(f, "median_zncc", med_zncc);
            h5_attr_f64(f, "mean_zncc", mean_zncc);
            h5_attr_f64(f, "median_ssim", med_ssim);
            h5_attr_f64(f, "mean_ssim", mean_ssim);
            h5_attr_f64(f, "frac_maxrel_below_10", below[0]);
            h5_attr_f64(f, "frac_maxrel_below_20", below[1]);
            h5_attr_f64(f, "frac_maxrel_below_30", below[2]);
            h5_attr_string(f, "units", "maxrel in percent; fractions in [0, 1]; panels in W m-2 Hz-1 sr-1");
            write_i64(f, "sample", r.sample, n);
            write_f64(f, "maxrel", r.maxrel, n);
            write_f64(f, "zncc", r.zncc, n);
            write_f64(f, "ssim", r.ssim, n);
            write_f64(f, "loss", r.loss, n);
            hid_t c = H5Gcreate(f, "cdf", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            write_f64(c, "maxrel", sorted, n);
            write_f64(c, "fraction", frac, n);
            H5Gclose(c);
            hid_t p = H5Gcreate(f, "panels", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            write_i64(p, "sample", pick, k);
            write_f64(p, "maxrel", pmax, k);
            hsize_t dims[4] = {(hsize_t)k, (hsize_t)F, (hsize_t)G, (hsize_t)G};
            write_array(p, "target", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 4, dims, targ);
            write_array(p, "prediction", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 4, dims, pred);
            H5Gclose(p);
            rc = h5_commit_partial(f, tmp, output);
            if (rc == 0) message0("evaluate: wrote %s", output);
        }
        free(order), free(pick), free(pmax), free(pred), free(targ), free(phys);
    }
    collective_fail_if(rc != 0);
    free(sorted), free(frac), free(index);
    eval_result_free(&r);
    dataset_close(ds);
    history_free(&st.hist);
    nn_graph_free(&g);
    return 0;
}

const stage stage_evaluate = {"evaluate", "metrics of a trained model on the test split: per sample, CDF, summary, panels",
                              evaluate_params, evaluate_sections, evaluate_run, NULL, evaluate_check};
