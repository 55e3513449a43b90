/**
 * @file evalset.c
 * @brief Metrics over a set of samples, across ranks (see evalset.h).
 */
#include "train/evalset.h"

#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/log.h"
#include "mpi/collective.h"
#include "mpi/decomp.h"
#include "nn/loss.h"
#include "nn/metrics.h"
#include "train/loader.h"

int eval_predict(nn_graph *g, dataset *ds, const int64_t *index, int64_t n, const nn_norm *norm, float *pred,
                 float *target)
{
    const int B = g->batch, G = dataset_grid(ds);
    const size_t in_f = 3 * (size_t)G * G * G, out_f = nn_sample(nn_output(g)->out);
    float *x = xmalloc((size_t)B * in_f * sizeof *x);
    int rc = 0;
    nn_graph_fold_bn(g); /* the current weights and running statistics, folded for inference */
    for (int64_t b0 = 0; b0 < n && rc == 0; b0 += B) {
        int64_t m = n - b0 < B ? n - b0 : B;
        rc = samples_read(ds, index + b0, m, norm, x, target ? target + b0 * out_f : NULL);
        /* a short last batch is padded with copies of its last sample; their outputs are dropped */
        for (int64_t i = m; i < B && rc == 0; i++) memcpy(x + i * in_f, x + (m - 1) * in_f, in_f * sizeof *x);
        if (rc == 0) memcpy(pred + b0 * out_f, nn_forward(g, x, false), (size_t)m * out_f * sizeof *pred);
    }
    free(x);
    return rc;
}

/* Per-sample metrics of one chunk of `m` samples. */
static void chunk_metrics(const nn_norm *norm, double lambda, const float *p, const float *t, int64_t m, int F, int H,
                          int W, double *maxrel, double *zncc, double *ssim, double *loss)
{
    size_t img = (size_t)H * W, per = (size_t)F * img;
    double *ip = xmalloc(per * sizeof *ip), *it = xmalloc(per * sizeof *it), *map = xmalloc(img * sizeof *map);
    nn_loss l;
    nn_loss_init(&l, F, H, W, lambda);
    double *range = xmalloc((size_t)F * sizeof *range);
    for (int f = 0; f < F; f++) { /* SSIM's data range: each channel's targets over the chunk */
        float lo = INFINITY, hi = -INFINITY;
        for (int64_t s = 0; s < m; s++)
            for (size_t j = 0; j < img; j++) {
                float v = t[s * per + f * img + j];
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
        range[f] = (double)hi - (double)lo;
    }
    for (int64_t s = 0; s < m; s++) {
        const float *ps = p + s * per, *ts = t + s * per;
        nn_denorm_intensity(norm, per, ps, ip);
        nn_denorm_intensity(norm, per, ts, it);
        maxrel[s] = metric_maxrel_sample(ip, it, F, H, W);
        double z = 0, q = 0;
        for (int f = 0; f < F; f++) {
            z += metric_zncc_image(ps + f * img, ts + f * img, H, W);
            metric_ssim_map(ps + f * img, ts + f * img, H, W, range[f], map);
            double mean = 0;
            for (size_t j = 0; j < img; j++) mean += map[j];
            q += mean / (double)img;
        }
        zncc[s] = z / F;
        ssim[s] = q / F;
        loss[s] = nn_loss_eval(&l, ps, ts, NULL).total;
    }
    nn_loss_free(&l);
    free(ip), free(it), free(map), free(range);
}

static void gather_f64(const double *local, int n_local, double *all)
{
    int size = log_size();
    int *counts = xmalloc((size_t)size * sizeof *counts), *displs = xmalloc((size_t)size * sizeof *displs);
    MPI_CHECK(MPI_Allgather(&n_local, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD));
    displs[0] = 0;
    for (int r = 1; r < size; r++) displs[r] = displs[r - 1] + counts[r - 1];
    MPI_CHECK(MPI_Allgatherv(local, n_local, MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, MPI_COMM_WORLD));
    free(counts);
    free(displs);
}

int eval_run(nn_graph *g, dataset *ds, const int64_t *index, int64_t n, const nn_norm *norm, double loss_lambda,
             int64_t chunk, eval_result *out)
{
    memset(out, 0, sizeof *out);
    const int G = dataset_grid(ds), F = (int)(nn_sample(nn_output(g)->out) / ((size_t)G * G));
    const size_t out_f = (size_t)F * G * G;
    decomp d;
    decomp_init(&d, n, chunk, log_rank(), log_size());
    int64_t first = 0, count = 0, last_first = 0, last_count = 0;
    if (d.n_local_chunks > 0) {
        decomp_chunk(&d, d.first_chunk, &first, &count);
        decomp_chunk(&d, d.first_chunk + d.n_local_chunks - 1, &last_first, &last_count);
    }
    int64_t n_local = d.n_local_chunks > 0 ? last_first + last_count - first : 0;
    double *local = xmalloc((size_t)(4 * (n_local ? n_local : 1)) * sizeof *local);
    float *p = xmalloc((size_t)chunk * out_f * sizeof *p), *t = xmalloc((size_t)chunk * out_f * sizeof *t);
    int rc = 0;
    for (int64_t c = 0; c < d.n_local_chunks && rc == 0; c++) {
        int64_t a, m;
        decomp_chunk(&d, d.first_chunk + c, &a, &m);
        rc = eval_predict(g, ds, index + a, m, norm, p, t);
        int64_t o = a - first;
        if (rc == 0)
            chunk_metrics(norm, loss_lambda, p, t, m, F, G, G, local + o, local + n_local + o, local + 2 * n_local + o,
                          local + 3 * n_local + o);
    }
    free(p);
    free(t);
    if (collective_any(rc != 0)) {
        free(local);
        return -1;
    }
    out->n = n;
    out->sample = xmalloc((size_t)(n ? n : 1) * sizeof *out->sample);
    memcpy(out->sample, index, (size_t)n * sizeof *index);
    double **dst[4] = {&out->maxrel, &out->zncc, &out->ssim, &out->loss};
    for (int k = 0; k < 4; k++) {
        *dst[k] = xmalloc((size_t)(n ? n : 1) * sizeof **dst[k]);
        gather_f64(local + k * n_local, (int)n_local, *dst[k]);
    }
    free(local);
    return 0;
}

void eval_result_free(eval_result *r)
{
    free(r->sample), free(r->maxrel), free(r->zncc), free(r->ssim), free(r->loss);
    memset(r, 0, sizeof *r);
}

double eval_median(const double *v, int64_t n)
{
    if (n == 0) return NAN;
    double *c = xmalloc((size_t)n * sizeof *c);
    memcpy(c, v, (size_t)n * sizeof *c);
    double m = metric_median(c, (size_t)n);
    free(c);
    return m;
}

double eval_mean(const double *v, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += v[i];
    return n ? s / (double)n : NAN;
}
