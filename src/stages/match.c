/**
 * @file match.c
 * @brief `synobs match`: rank the catalogue against an observation (spec analogues.md 5-7). For
 * every feature set (model, tap, mode) of the features file(s) and every requested distance, the
 * distances of all catalogue images to the observation (double precision; rows split across
 * ranks in contiguous blocks), their mean and standard deviation reduced across ranks, the z-scores,
 * the stable ranking and the -select_sigma set; then the metadata of the pooled selections
 * (several (model, distance) pairs stacked as the paper does) as histograms and Gaussian KDEs with
 * Scott's bandwidth, summarised by the KDE's mode, median and 16/84 percentiles. Rank 0 writes the
 * results file and a summary in the log.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/log.h"
#include "io/features_file.h"
#include "io/fits.h"
#include "io/h5util.h"
#include "io/provenance.h"
#include "match/distance.h"
#include "match/kde.h"
#include "match/select.h"
#include "metric/metric_train.h"
#include "metric/mlp.h"
#include "mpi/collective.h"
#include "mpi/decomp.h"
#include "stages/plan.h"
#include "stages/stage.h"

#define M "match"
#define MAX_SETS 64
#define MAX_DIST 6
#define MAX_PAR 32

static const param_decl match_params[] = {
    {M, "features", PARAM_STRING, NULL, 0, 0, NULL, "", "features file(s) of synobs features (comma-separated); every feature set in them with an observation vector is used"},
    {M, "catalogue", PARAM_STRING, NULL, 0, 0, NULL, "", "the catalogue the features were made from (its metadata)"},
    {M, "output", PARAM_STRING, NULL, 0, 0, NULL, "", "results file (HDF5)"},
    {M, "observation", PARAM_STRING, "", 0, 0, NULL, "", "the observation's FITS (optional): its TRUTH table, when present, is recorded beside the estimates"},
    {M, "distances", PARAM_STRING, "cosine,euclidean,braycurtis,canberra,cityblock", 0, 0, NULL, "", "any of cosine, euclidean, braycurtis, canberra, cityblock, eq12"},
    {M, "eq12_norm", PARAM_CHOICE, "ratio_squared", 0, 0, "ratio_squared|as_printed", "", "eq. 12: (d1/N1)^2 + (d2/N2)^2, or d_k^2/N_k as typeset"},
    {M, "select_sigma", PARAM_REAL, "2", 0, 100, NULL, "sigma", "the selection: z < -select_sigma"},
    {M, "ddof", PARAM_INT, "0", 0, 1, NULL, "", "standard deviation of the distances: 0 population, 1 sample"},
    {M, "parameters", PARAM_STRING, "t1,M1,M2,Mtot,sep,dsize1", 0, 0, NULL, "", "metadata estimated from the selections (catalogue /meta names)"},
    {M, "kde_points", PARAM_INT, "512", 2, 1e7, NULL, "points", "KDE grid points over [min - 3h, max + 3h]"},
    {M, "include_zeros", PARAM_BOOL, "false", 0, 0, NULL, "", "build the KDE with exact zeros (dsize = 0: no disk); by default their fraction is reported apart"},
    {M, "embedding", PARAM_STRING, "", 0, 0, NULL, "",
     "a triplet-MLP model of synobs metric (DIR/model.h5): its feature set is also ranked in the trained embedding (no dropout), "
     "as the set <model>/<tap>/<mode>+mlp, with the same distances, selection and estimates"},
    {M, "top_k", PARAM_INT, "8", 1, 1e6, NULL, "images", "best-ranked images listed in the log per feature set and distance"},
    PARAM_END};
static const char *const match_sections[] = {"match", NULL};

typedef struct {
    char file[4096], path[320]; /* features file, "model/tap/mode" */
    int embed;                  /* 1: ranked in the trained triplet-MLP embedding ([match] embedding) */
} feat_set;

/* Comma-separated tokens into rows of `width` characters. */
static int list_tokens_w(const char *text, char *out, int max, size_t width)
{
    char *copy = xstrdup(text), *save = NULL;
    int n = 0;
    for (char *t = strtok_r(copy, ", ", &save); t && n < max; t = strtok_r(NULL, ", ", &save)) snprintf(out + width * n++, width, "%s", t);
    free(copy);
    return n;
}

static int list_tokens(const char *text, char out[][64], int max)
{
    char *copy = xstrdup(text), *save = NULL;
    int n = 0;
    for (char *t = strtok_r(copy, ", ", &save); t && n < max; t = strtok_r(NULL, ", ", &save)) snprintf(out[n++], 64, "%s", t);
    free(copy);
    return n;
}

/* Every feature set of a file that also has its /observation twin, appended to sets. */
static int find_sets(const char *file, feat_set *sets, int *n)
{
    static featfile_set found[MAX_SETS];
    int k;
    if (featfile_list(file, 1, found, MAX_SETS - *n, &k) != 0) return -1;
    for (int i = 0; i < k; i++, (*n)++) {
        snprintf(sets[*n].file, sizeof sets[*n].file, "%.4095s", file);
        snprintf(sets[*n].path, sizeof sets[*n].path, "%.319s", found[i]);
    }
    return 0;
}

static int parse_distances(const params *ps, char names[][64], int *n)
{
    *n = list_tokens(params_string(ps, M, "distances"), names, MAX_DIST);
    for (int i = 0; i < *n; i++)
        if (strcmp(names[i], "eq12") != 0 && match_metric_from_name(names[i]) < 0)
            return error_set("%s: [match] distances: '%s' is not one of cosine, euclidean, braycurtis, canberra, cityblock, eq12",
                             params_origin(ps, M, "distances"), names[i]);
    if (*n == 0) return error_set("%s: [match] distances is empty", params_origin(ps, M, "distances"));
    return 0;
}

/* The catalogue's metadata `name` (N_snap,) and its observers per snapshot. */
static int read_meta(const char *cat, const char *name, double **v, int64_t *nsnap, int *K, char *units)
{
    hid_t f = H5Fopen(cat, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return h5_input_error(cat, "cannot open the catalogue");
    char path[128];
    snprintf(path, sizeof path, "meta/%s", name);
    if (H5Lexists(f, "meta", H5P_DEFAULT) <= 0 || H5Lexists(f, path, H5P_DEFAULT) <= 0) {
        H5Fclose(f);
        return error_set("%s: no metadata %s (the catalogue has /meta/<name> for t1, M1, M2, Mtot, sep, dsize1, ...)", cat, name);
    }
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT), s = H5Dget_space(d), di = H5Dopen2(f, "images", H5P_DEFAULT), si = H5Dget_space(di);
    hsize_t dims[2] = {0}, idims[4] = {0};
    H5Sget_simple_extent_dims(s, dims, NULL);
    H5Sget_simple_extent_dims(si, idims, NULL);
    *nsnap = (int64_t)dims[0], *K = (int)idims[1];
    *v = xmalloc((dims[0] ? dims[0] : 1) * sizeof **v);
    units[0] = 0;
    h5_attr_read_string(d, "units", units, 32);
    herr_t rc = H5Sget_simple_extent_ndims(s) == 1 ? H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *v) : -1;
    H5Sclose(s), H5Sclose(si), H5Dclose(di), H5Dclose(d), H5Fclose(f);
    if (rc < 0) return error_set("%s: %s is not a scalar per snapshot", cat, path);
    return 0;
}

static int match_check(const params *ps, const char *params_text, stage_plan *plan)
{
    (void)params_text;
    char names[MAX_DIST][64];
    int nd;
    if (parse_distances(ps, names, &nd) != 0) return -1;
    if (plan_file_input(plan, ps, M, "catalogue", PLAN_OTHER) != 0) return -1;
    if (plan_output(ps, M, "output") != 0) return -1;
    char files[16][4096];
    int nf = list_tokens_w(params_string(ps, M, "features"), &files[0][0], 16, sizeof files[0]);
    if (nf == 0) return error_set("%s: [match] features is empty", params_origin(ps, M, "features"));
    for (int i = 0; i < nf; i++) {
        int written = 0;
        for (int k = 0; k < plan->n; k++) written |= strcmp(plan->files[k].path, files[i]) == 0;
        if (written) continue;
        feat_set sets[MAX_SETS];
        int n = 0;
        if (find_sets(files[i], sets, &n) != 0) return -1;
        if (n == 0) return error_set("%s: [match] features = %s has no feature set with an observation vector (give [features] observation)",
                                     params_origin(ps, M, "features"), files[i]);
    }
    plan_add(plan, params_string(ps, M, "output"), PLAN_OTHER, 0, 0, false);
    return 0;
}

static void write_vec(hid_t loc, const char *name, hid_t mt, hid_t ft, size_t n, const void *v)
{
    hsize_t dn = n;
    hid_t s = H5Screate_simple(1, &dn, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t d = H5Dcreate2(loc, name, ft, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5_CHECK(d);
    if (n) H5_CHECK(H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    H5Dclose(d), H5Pclose(dcpl), H5Sclose(s);
}

static hid_t group_path(hid_t f, const char *path)
{
    hid_t l = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(l, 1);
    hid_t g = H5Gcreate2(f, path, l, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(l);
    H5_CHECK(g);
    return g;
}

/* The truth of a parameter from the observation's TRUTH table (NaN when absent). */
static double truth_of(const fits_truth *t, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0) return t[i].value;
    return NAN;
}

static int match_run(const params *ps, const char *params_text)
{
    const char *cat = params_string(ps, M, "catalogue"), *out = params_string(ps, M, "output");
    char dnames[MAX_DIST][64], pnames[MAX_PAR][64];
    static char files[16][4096];
    int nd, np = list_tokens(params_string(ps, M, "parameters"), pnames, MAX_PAR);
    collective_fail_if(parse_distances(ps, dnames, &nd) != 0);
    int nf = list_tokens_w(params_string(ps, M, "features"), &files[0][0], 16, sizeof files[0]);
    static feat_set sets[MAX_SETS];
    int nsets = 0, bad = 0;
    for (int i = 0; i < nf && !bad; i++) bad = find_sets(files[i], sets, &nsets) != 0;
    collective_fail_if(bad);
    /* the trained embedding: its feature set once more, mapped through the MLP */
    mlp_shape emb_shape;
    float *emb_p = NULL;
    const char *emb = params_string(ps, M, "embedding");
    if (emb[0]) {
        metric_state est;
        collective_fail_if(metric_file_read(emb, &emb_shape, &emb_p, NULL, &est) != 0);
        metric_history_free(&est.hist);
        int hit = -1;
        for (int i = 0; i < nsets; i++)
            if (strcmp(sets[i].path, est.feature_set) == 0 && hit < 0) hit = i;
        collective_fail_if((hit < 0 || nsets >= MAX_SETS) &&
                           error_set("%s: [match] embedding %s was trained on %s, which no [match] features file has (with an observation)",
                                     params_origin(ps, M, "embedding"), emb, est.feature_set));
        sets[nsets] = sets[hit];
        sets[nsets++].embed = 1;
    }
    collective_fail_if(log_rank() == 0 && nsets == 0 &&
                       error_set("%s: no feature set with an observation vector in [match] features", params_origin(ps, M, "features")));
    double sigma = params_real(ps, M, "select_sigma");
    int ddof = (int)params_int(ps, M, "ddof"), topk = (int)params_int(ps, M, "top_k");
    match_eq12_norm norm = match_eq12_norm_from_name(params_string(ps, M, "eq12_norm"));
    /* per (set, distance): the selection, kept on rank 0 for the estimates */
    int ngroups = nsets * nd;
    int64_t **sel = xcalloc((size_t)ngroups, sizeof *sel);
    size_t *nsel = xcalloc((size_t)ngroups, sizeof *nsel);
    char (*gpath)[320] = xcalloc((size_t)ngroups, sizeof *gpath);
    char *tmp = NULL;
    hid_t rf = -1;
    if (log_rank() == 0) {
        collective_fail_if(path_make_parent(out) != 0);
        rf = h5_create_partial(out, &tmp);
        provenance_write(rf, "match", params_text);
        h5_attr_string(rf, "features", params_string(ps, M, "features"));
        h5_attr_string(rf, "catalogue", cat);
        h5_attr_string(rf, "observation", params_string(ps, M, "observation"));
        h5_attr_string(rf, "distances", params_string(ps, M, "distances"));
        h5_attr_string(rf, "parameters", params_string(ps, M, "parameters"));
    } else
        collective_fail_if(0);
    int64_t N = 0;
    for (int si = 0; si < nsets; si++) {
        char dset[300], odset[300];
        snprintf(dset, sizeof dset, "/features/%s", sets[si].path);
        snprintf(odset, sizeof odset, "/observation/%s", sets[si].path);
        int64_t n_total, first, count, nobs;
        int C, Co;
        float *u = NULL, *rows = NULL;
        bad = featfile_read_rows(sets[si].file, odset, 0, -1, &Co, &nobs, &u) != 0;
        collective_fail_if(bad);
        /* the block of rows of this rank */
        float *probe = NULL;
        collective_fail_if(featfile_read_rows(sets[si].file, dset, 0, 0, &C, &n_total, &probe) != 0);
        free(probe);
        N = n_total;
        decomp_block(n_total, log_rank(), log_size(), &first, &count);
        collective_fail_if(featfile_read_rows(sets[si].file, dset, first, count, &C, &n_total, &rows) != 0);
        collective_fail_if(C != Co && error_set("%s: %s has %d columns but its observation vector %d", sets[si].file, dset, C, Co));
        if (sets[si].embed) {
            collective_fail_if(C != emb_shape.C && error_set("%s: %s has %d columns, the embedding %s expects %d", sets[si].file, dset,
                                                             C, emb, emb_shape.C));
            float *eu = xmalloc((size_t)emb_shape.D * sizeof *eu), *er = xmalloc((size_t)(count ? count : 1) * emb_shape.D * sizeof *er);
            mlp_embed(&emb_shape, emb_p, u, 1, eu);
            mlp_embed(&emb_shape, emb_p, rows, count, er);
            free(u), free(rows);
            u = eu, rows = er, C = emb_shape.D;
        }
        double *dl = xmalloc((size_t)(count ? count : 1) * MAX_DIST * sizeof *dl), *dcos = NULL, *deuc = NULL;
        for (int k = 0; k < nd; k++) {
            double *dk = dl + (size_t)k * (count ? count : 1);
            if (strcmp(dnames[k], "eq12") == 0) {
                if (!dcos) dcos = xmalloc((size_t)(count ? count : 1) * sizeof *dcos), match_distances_f32(MATCH_COSINE, u, rows, count, C, dcos);
                if (!deuc) deuc = xmalloc((size_t)(count ? count : 1) * sizeof *deuc), match_distances_f32(MATCH_EUCLIDEAN, u, rows, count, C, deuc);
                double mx[2];
                match_eq12_max_local(dcos, deuc, count, mx);
                match_eq12_max_allreduce(mx);
                match_eq12(norm, dcos, deuc, count, mx, dk);
            } else
                match_distances_f32((match_metric)match_metric_from_name(dnames[k]), u, rows, count, C, dk);
            /* the catalogue statistics across ranks, then every distance on rank 0 */
            moments mo;
            match_moments_local(dk, count, &mo);
            match_moments_allreduce(&mo);
            match_stats st;
            match_stats_from_moments(&mo, ddof, &st);
            int *counts = xmalloc((size_t)log_size() * sizeof *counts), *displs = xmalloc((size_t)log_size() * sizeof *displs);
            int c32 = (int)count;
            MPI_CHECK(MPI_Gather(&c32, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD));
            double *d = log_rank() == 0 ? xmalloc((size_t)(n_total ? n_total : 1) * sizeof *d) : NULL;
            if (log_rank() == 0)
                for (int r = 0, o = 0; r < log_size(); o += counts[r], r++) displs[r] = o;
            MPI_CHECK(MPI_Gatherv(dk, c32, MPI_DOUBLE, d, counts, displs, MPI_DOUBLE, 0, MPI_COMM_WORLD));
            free(counts), free(displs);
            if (log_rank() == 0) {
                int gi = si * nd + k;
                int64_t *order = xmalloc((size_t)n_total * sizeof *order), *selected = xmalloc((size_t)n_total * sizeof *selected);
                double *z = xmalloc((size_t)n_total * sizeof *z);
                uint8_t *mask = xmalloc((size_t)n_total);
                match_rank(d, (size_t)n_total, order);
                match_zscores(d, (size_t)n_total, &st, z);
                match_select(z, (size_t)n_total, &st, sigma, 1, mask);
                size_t ns = match_selected_in_rank_order(order, mask, (size_t)n_total, selected);
                snprintf(gpath[gi], sizeof gpath[gi], "%s%s/%s", sets[si].path, sets[si].embed ? "+mlp" : "", dnames[k]);
                hid_t g = group_path(rf, gpath[gi]);
                write_vec(g, "distance", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, (size_t)n_total, d);
                write_vec(g, "z", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, (size_t)n_total, z);
                write_vec(g, "order", H5T_NATIVE_INT64, H5T_STD_I64LE, (size_t)n_total, order);
                write_vec(g, "selected", H5T_NATIVE_INT64, H5T_STD_I64LE, ns, selected);
                h5_attr_f64(g, "mean", st.mean), h5_attr_f64(g, "std", st.std);
                h5_attr_f64(g, "threshold", match_threshold(&st, sigma)), h5_attr_f64(g, "select_sigma", sigma);
                h5_attr_i64(g, "ddof", ddof);
                h5_attr_string(g, "features_file", sets[si].file);
                H5Gclose(g);
                char best[512] = "";
                for (int b = 0; b < topk && b < n_total && strlen(best) < 400; b++)
                    snprintf(best + strlen(best), sizeof best - strlen(best), "%s%lld", b ? " " : "", (long long)order[b]);
                message0("match: %s: mean %.6g, std %.6g, %zu of %lld images below %g sigma; best: %s", gpath[gi], st.mean,
                         st.std, ns, (long long)n_total, sigma, best);
                sel[gi] = selected, nsel[gi] = ns;
                free(order), free(z), free(mask);
            }
            free(d);
        }
        free(dl), free(dcos), free(deuc), free(u), free(rows);
    }
    /* the estimates from the pooled selections */
    int rc = 0;
    if (log_rank() == 0) {
        fits_truth *truth = NULL;
        int ntruth = 0;
        const char *obs = params_string(ps, M, "observation");
        if (obs[0]) {
            fits_image_header h;
            float *img = NULL;
            if (fits_read_image(obs, &h, &img, &truth, &ntruth) != 0) rc = -1;
            free(img);
        }
        char groups[8192] = "";
        for (int g = 0; g < ngroups; g++) snprintf(groups + strlen(groups), sizeof groups - strlen(groups), "%s%s", g ? "," : "", gpath[g]);
        h5_attr_string(rf, "groups", groups);
        match_kde_cfg cfg;
        match_kde_cfg_default(&cfg);
        cfg.points = (size_t)params_int(ps, M, "kde_points");
        cfg.include_zeros = params_bool(ps, M, "include_zeros");
        for (int p = 0; p < np && rc == 0; p++) {
            double *meta = NULL;
            int64_t nsnap = 0;
            int K = 0;
            char units[32];
            if (read_meta(cat, pnames[p], &meta, &nsnap, &K, units) != 0) {
                rc = -1;
                break;
            }
            if (nsnap * K != N) {
                free(meta);
                rc = error_set("%s: %lld snapshots x %d observers, but the features hold %lld images", cat, (long long)nsnap, K, (long long)N);
                break;
            }
            size_t tot = 0;
            for (int g = 0; g < ngroups; g++) tot += nsel[g];
            double *sample = xmalloc((tot ? tot : 1) * sizeof *sample);
            int64_t *sg = xmalloc((tot ? tot : 1) * sizeof *sg);
            size_t o = 0;
            for (int g = 0; g < ngroups; g++)
                for (size_t i = 0; i < nsel[g]; i++) sample[o] = meta[sel[g][i] / K], sg[o++] = g;
            match_kde kd;
            match_kde_build(sample, tot, &cfg, &kd);
            char path[96];
            snprintf(path, sizeof path, "estimate/%s", pnames[p]);
            hid_t g = group_path(rf, path);
            write_vec(g, "sample", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, tot, sample);
            write_vec(g, "sample_group", H5T_NATIVE_INT64, H5T_STD_I64LE, tot, sg);
            write_vec(g, "kde_x", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, kd.has_kde ? kd.points : 0, kd.x);
            write_vec(g, "kde_y", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, kd.has_kde ? kd.points : 0, kd.y);
            double tv = truth_of(truth, ntruth, pnames[p]);
            h5_attr_f64(g, "mode", kd.mode), h5_attr_f64(g, "median", kd.median);
            h5_attr_f64(g, "p16", kd.p16), h5_attr_f64(g, "p84", kd.p84);
            h5_attr_i64(g, "n", (int64_t)kd.n), h5_attr_f64(g, "zero_fraction", kd.zero_fraction);
            h5_attr_f64(g, "bandwidth", kd.has_kde ? kd.h : NAN), h5_attr_f64(g, "truth", tv);
            h5_attr_string(g, "units", units);
            H5Gclose(g);
            message0("match: %-8s median %.4g [%.4g, %.4g] %s (mode %.4g; %zu values, %.0f%% zeros)%s", pnames[p], kd.median,
                     kd.p16, kd.p84, units, kd.mode, kd.n, 100 * kd.zero_fraction, isfinite(tv) ? "" : "");
            if (isfinite(tv)) message0("match: %-8s truth %.4g %s", pnames[p], tv, units);
            match_kde_free(&kd);
            free(sample), free(sg), free(meta);
        }
        free(truth);
        rc = rc == 0 ? h5_commit_partial(rf, tmp, out) : (H5Fclose(rf), free(tmp), -1); /* the commit frees tmp; a failed run's partial file is removed at exit */
    }
    collective_fail_if(rc != 0);
    message0("match: results in %s", out);
    for (int g = 0; g < ngroups; g++) free(sel[g]);
    free(sel), free(nsel), free(gpath), free(emb_p);
    return 0;
}

const stage stage_match = {
    .name = "match",
    .summary = "rank the catalogue against an observation: five distances, the -2 sigma analogues, parameter estimates",
    .params = match_params,
    .sections = match_sections,
    .run = match_run,
    .check = match_check,
};
