/**
 * @file stats.c
 * @brief `synobs stats`: global statistics of a dataset split across ranks.
 *
 * Pass 1 streams each rank's chunks once and gathers, per quantity: Chan moments (merged across
 * chunks and then ranks by a user-defined MPI reduction), min, max, and 16-bit histograms of
 * order-preserving keys, per chunk and overall. Pass 2 streams again and histograms the low 16
 * bits inside the bins that hold the global median and each chunk's median: the exact median and
 * the exact chunk medians (for the paper's median of chunk medians) in two passes, whatever the
 * rank count.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/progress.h"
#include "io/dataset.h"
#include "io/h5util.h"
#include "io/provenance.h"
#include "io/statsfile.h"
#include "mpi/collective.h"
#include "mpi/moments_op.h"
#include "mpi/select_mpi.h"
#include "stages/plan.h"
#include "stages/stage.h"
#include "stats/scan.h"
#include "stats/select.h"

static const param_decl stats_params[] = {
    {"stats", "input", PARAM_STRING, NULL, 0, 0, NULL, "",
     "the dataset: a synobs master file, one file, a glob, or a comma-separated list, in the COEmuNet layout"},
    {"stats", "output", PARAM_STRING, NULL, 0, 0, NULL, "",
     "statistics file to write (HDF5); a JSON-lines log is written beside it as OUTPUT.log.jsonl"},
    {"stats", "chunk_samples", PARAM_INT, "32", 1, 1e6, NULL, "samples",
     "samples read at once per rank; also the chunk of the median of chunk medians (the paper used 2000)"},
    {"stats", "nonfinite", PARAM_CHOICE, "error", 0, 0, "error|skip", "",
     "NaN or Inf in the data: 'error' stops naming the file, sample and quantity; 'skip' counts and leaves them out"},
    {"stats", "report_bandwidth", PARAM_BOOL, "false", 0, 0, NULL, "",
     "also measure memcpy bandwidth on every rank in this run and print pass 1's throughput against it (benchmark)"},
    PARAM_END};

static const char *const stats_sections[] = {"stats", NULL};

/* One sample's values, read into buffers that stay in cache while every quantity is scanned. */
typedef struct {
    const dataset *ds;
    float *input, *output, *iplus; /* (3,G,G,G), (F,G,G), (F,G,G) */
    double t_read;                 /* seconds spent reading */
} sample_buf;

/* Where the values of base quantity b of the sample live: n floats at the returned pointer. */
static const float *segment(const sample_buf *sb, int b, size_t *n)
{
    int64_t g3 = dataset_input_floats(sb->ds) / 3, img = dataset_output_floats(sb->ds);
    switch (b) {
    case BASE_VZ: case BASE_T: case BASE_NCO:
        *n = (size_t)g3;
        return sb->input + b * g3;
    case BASE_I:
        *n = (size_t)img;
        return sb->output;
    default:
        *n = (size_t)img;
        return sb->iplus;
    }
}

/* Read global sample s and build its I+ (zeros replaced); -1 with the error set. */
static int load_sample(sample_buf *sb, int64_t s)
{
    double t = MPI_Wtime();
    int rc = dataset_read((dataset *)sb->ds, s, 1, sb->input, sb->output);
    sb->t_read += MPI_Wtime() - t;
    if (rc != 0) return -1;
    if (scan_replace_zeros(sb->output, sb->iplus, (size_t)dataset_output_floats(sb->ds)) != 0) {
        int64_t local;
        const char *file = dataset_locate(sb->ds, s, &local);
        return error_set("%s: sample %lld (global %lld), quantity I: no positive intensity, so log_I is undefined", file,
                         (long long)local, (long long)s);
    }
    return 0;
}

static int describe_bad(const dataset *ds, int64_t sample, int b, size_t idx, scan_status st, float v)
{
    int64_t local;
    const char *file = dataset_locate(ds, sample, &local);
    int g = dataset_grid(ds);
    char where[96];
    if (b <= BASE_NCO)
        snprintf(where, sizeof where, "cell (%zu, %zu, %zu)", idx / ((size_t)g * g), (idx / g) % g, idx % g);
    else
        snprintf(where, sizeof where, "channel %zu, pixel (%zu, %zu)", idx / ((size_t)g * g), (idx / g) % g, idx % g);
    if (st == SCAN_NONFINITE)
        return error_set("%s: sample %lld (global %lld), quantity %s: %g at %s "
                         "(set [stats] nonfinite = skip to count and leave such values out)",
                         file, (long long)local, (long long)sample, b == BASE_IPOS ? "I" : base_name[b], v, where);
    return error_set("%s: sample %lld (global %lld), quantity %s: %g at %s is not positive and has no logarithm",
                     file, (long long)local, (long long)sample, base_name[b], v, where);
}

typedef struct {
    moments lin[NBASE], log[NBASE];  /* this rank's chunks, merged in chunk order */
    float min[NBASE], max[NBASE];
    uint64_t count[NBASE], skipped[NBASE];
    uint32_t *hist_chunk;            /* (NBASE, SELECT_BINS) */
    uint64_t *hist;                  /* (NBASE, SELECT_BINS) whole share, then global */
    float *chunk_median;             /* (NBASE, n_local_chunks), finished in pass 2 */
    int64_t *chunk_top;              /* (NBASE, n_local_chunks) bin of each chunk's median, -1 if empty */
    uint64_t *chunk_k;               /* (NBASE, n_local_chunks) its rank inside that bin */
} pass1;

/* Scan global chunk c (local index lc), one sample at a time; returns -1 with the error set on bad data. */
static int scan_chunk(const decomp *d, int64_t c, int64_t lc, sample_buf *sb, pass1 *p, bool skip)
{
    int64_t first, count;
    decomp_chunk(d, c, &first, &count);
    scan_state sc[NBASE];
    for (int b = 0; b < NBASE; b++) scan_reset(&sc[b], p->hist_chunk + (size_t)b * SELECT_BINS);
    for (int64_t s = first; s < first + count; s++) {
        if (load_sample(sb, s) != 0) return -1;
        for (int b = 0; b < NBASE; b++) {
            size_t n, bad = 0;
            const float *x = segment(sb, b, &n);
            scan_status rc = scan_values(&sc[b], x, n, base_has_log[b], skip, &bad);
            if (rc != SCAN_OK) return describe_bad(sb->ds, s, b, bad, rc, x[bad]);
        }
    }
    for (int b = 0; b < NBASE; b++) {
        moments m;
        moments_acc_finish(&sc[b].lin, &m);
        moments_merge(&p->lin[b], &m);
        if (base_has_log[b]) {
            moments_acc_finish(&sc[b].log, &m);
            moments_merge(&p->log[b], &m);
        }
        p->min[b] = sc[b].min < p->min[b] ? sc[b].min : p->min[b];
        p->max[b] = sc[b].max > p->max[b] ? sc[b].max : p->max[b];
        p->count[b] += sc[b].count;
        p->skipped[b] += sc[b].skipped;
        size_t ci = (size_t)b * (size_t)d->n_local_chunks + (size_t)lc;
        const uint32_t *hc = p->hist_chunk + (size_t)b * SELECT_BINS;
        p->chunk_top[ci] = sc[b].count ? select_find_bin32(hc, SELECT_BINS, select_lower_median_rank(sc[b].count), &p->chunk_k[ci]) : -1;
        uint64_t *h = p->hist + (size_t)b * SELECT_BINS;
        for (size_t i = 0; i < SELECT_BINS; i++) h[i] += hc[i];
    }
    return 0;
}

/* A chunk's key histograms count in 32 bits (half the cache footprint of 64): the most samples a chunk
 * may hold at this grid and channel count. */
static int64_t max_chunk_samples(int grid, int nfreq)
{
    double g3 = (double)grid * grid * grid, img = (double)nfreq * grid * grid;
    return (int64_t)(4294967295.0 / (g3 > img ? g3 : img));
}

static int chunk_error(const params *ps, int grid, int nfreq)
{
    int64_t chunk = params_int(ps, "stats", "chunk_samples"), most = max_chunk_samples(grid, nfreq);
    return error_set("%s: [stats] chunk_samples = %lld: a chunk would hold more values of one quantity at grid %d than "
                     "its 32-bit counters take; use at most %lld", params_origin(ps, "stats", "chunk_samples"),
                     (long long)chunk, grid, (long long)most);
}

static int stats_check(const params *ps, const char *params_text, stage_plan *plan)
{
    (void)params_text;
    plan_file in;
    if (plan_dataset(plan, ps, "stats", "input", &in) != 0 || plan_output(ps, "stats", "output") != 0) return -1;
    if (in.grid > 0 && params_int(ps, "stats", "chunk_samples") > max_chunk_samples(in.grid, in.channels))
        return chunk_error(ps, in.grid, in.channels);
    plan_add(plan, params_string(ps, "stats", "output"), PLAN_STATS, 0, 0, false);
    return 0;
}

static int stats_run(const params *ps, const char *params_text)
{
    const char *input = params_string(ps, "stats", "input"), *output = params_string(ps, "stats", "output");
    int64_t chunk_samples = params_int(ps, "stats", "chunk_samples");
    bool skip = strcmp(params_string(ps, "stats", "nonfinite"), "skip") == 0;

    /* A campaign run again leaves statistics alone that were computed with these [stats] parameters
     * after the input was last written (its master file appears, by rename, once complete);
     * otherwise they are computed (again). */
    int current = 0;
    if (log_rank() == 0) {
        char why[1024];
        struct stat si, so;
        current = provenance_matches(output, "stats", "stats", params_text, why, sizeof why) == 1 &&
                  stat(input, &si) == 0 && stat(output, &so) == 0 &&
                  (so.st_mtim.tv_sec > si.st_mtim.tv_sec ||
                   (so.st_mtim.tv_sec == si.st_mtim.tv_sec && so.st_mtim.tv_nsec >= si.st_mtim.tv_nsec));
    }
    MPI_Bcast(&current, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (current) {
        message0("stats: %s was computed from %s, as it is now, with these [stats] parameters: nothing to do "
                 "(remove it to compute again)", output, input);
        return 0;
    }
    /* the input is checked before anything is made: a bad one leaves no directory and no log */
    dataset *ds;
    collective_fail_if(dataset_open(input, &ds) != 0);
    bool too_big = chunk_samples > max_chunk_samples(dataset_grid(ds), dataset_nfreq(ds));
    collective_fail_if(too_big && chunk_error(ps, dataset_grid(ds), dataset_nfreq(ds)) != 0);
    collective_fail_if(log_rank() == 0 && path_make_parent(output) != 0);
    char logpath[4200];
    snprintf(logpath, sizeof logpath, "%s.log.jsonl", output);
    jlog_open(logpath);
    char *q = json_quote_alloc(params_text);
    jlog("start", "\"stage\": \"stats\", \"ranks\": %d, \"parameters\": %s", log_size(), q);
    free(q);

    int64_t n = dataset_samples(ds);
    double bytes_per_sample = 4.0 * (double)(dataset_input_floats(ds) + dataset_output_floats(ds));
    message0("stats: %s: %lld samples, grid %d, %d channel(s), %.3f GB; %d rank(s), chunks of %lld samples",
             input, (long long)n, dataset_grid(ds), dataset_nfreq(ds), (double)n * bytes_per_sample / 1e9, log_size(),
             (long long)chunk_samples);

    decomp d;
    decomp_init(&d, n, chunk_samples, log_rank(), log_size());
    sample_buf sb = {ds, xmalloc((size_t)dataset_input_floats(ds) * sizeof(float)),
                     xmalloc((size_t)dataset_output_floats(ds) * sizeof(float)),
                     xmalloc((size_t)dataset_output_floats(ds) * sizeof(float)), 0.0};
    pass1 p;
    memset(&p, 0, sizeof p);
    for (int b = 0; b < NBASE; b++) { moments_zero(&p.lin[b]); moments_zero(&p.log[b]); p.min[b] = INFINITY; p.max[b] = -INFINITY; }
    p.hist_chunk = xmalloc((size_t)NBASE * SELECT_BINS * sizeof *p.hist_chunk);
    p.hist = xcalloc((size_t)NBASE * SELECT_BINS, sizeof *p.hist);
    size_t nlc = (size_t)(d.n_local_chunks ? d.n_local_chunks : 1);
    p.chunk_median = xmalloc(NBASE * nlc * sizeof *p.chunk_median);
    p.chunk_top = xmalloc(NBASE * nlc * sizeof *p.chunk_top);
    p.chunk_k = xmalloc(NBASE * nlc * sizeof *p.chunk_k);
    /* (NBASE, SELECT_BINS) each: low bits inside the global median's bin and inside the chunk median's bin */
    uint32_t *low = xmalloc((size_t)NBASE * SELECT_BINS * sizeof *low), *low_chunk = xmalloc((size_t)NBASE * SELECT_BINS * sizeof *low_chunk);

    /* ---- pass 1: every value read once ---- */
    MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
    double t1 = MPI_Wtime();
    progress pr;
    progress_start(&pr, "stats pass 1 (rank 0's share)", "chunks", d.n_local_chunks, bytes_per_sample * (double)chunk_samples);
    /* Every rank runs max_local_chunks rounds so that the per-chunk agreement on errors matches up. */
    for (int64_t lc = 0; lc < d.max_local_chunks; lc++) {
        int rc = lc < d.n_local_chunks ? scan_chunk(&d, d.first_chunk + lc, lc, &sb, &p, skip) : 0;
        collective_fail_if(rc < 0);
        progress_update(&pr, lc + 1 < d.n_local_chunks ? lc + 1 : d.n_local_chunks);
    }
    double pass1_local = MPI_Wtime() - t1, pass1_time;
    message0("stats: pass 1 on rank 0: read %.3f s, compute %.3f s", sb.t_read, pass1_local - sb.t_read);
    MPI_CHECK(MPI_Allreduce(&pass1_local, &pass1_time, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));

    moments_allreduce(p.lin, NBASE);
    moments_allreduce(p.log, NBASE);
    mpi_allreduce_min_f32(p.min, NBASE);
    mpi_allreduce_max_f32(p.max, NBASE);
    mpi_allreduce_sum_u64(p.count, NBASE);
    mpi_allreduce_sum_u64(p.skipped, NBASE);
    mpi_allreduce_sum_u64(p.hist, (size_t)NBASE * SELECT_BINS);

    /* ---- pass 2: the low 16 bits inside the global median's bin and each chunk median's bin ---- */
    int64_t top[NBASE];
    uint64_t k_in[NBASE];
    for (int b = 0; b < NBASE; b++)
        top[b] = select_find_bin(p.hist + (size_t)b * SELECT_BINS, SELECT_BINS, select_lower_median_rank(p.count[b]), &k_in[b]);
    uint64_t *lowsum = xcalloc((size_t)NBASE * SELECT_BINS, sizeof *lowsum);
    double t2 = MPI_Wtime();
    progress_start(&pr, "stats pass 2 (rank 0's share)", "chunks", d.n_local_chunks, bytes_per_sample * (double)chunk_samples);
    for (int64_t lc = 0; lc < d.max_local_chunks; lc++) {
        int rc = 0;
        if (lc < d.n_local_chunks) {
            int64_t first, count;
            decomp_chunk(&d, d.first_chunk + lc, &first, &count);
            memset(low, 0, (size_t)NBASE * SELECT_BINS * sizeof *low);
            memset(low_chunk, 0, (size_t)NBASE * SELECT_BINS * sizeof *low_chunk);
            for (int64_t s = first; s < first + count && rc == 0; s++) {
                rc = load_sample(&sb, s);
                for (int b = 0; b < NBASE && rc == 0; b++) {
                    size_t ci = (size_t)b * nlc + (size_t)lc, m;
                    if (p.chunk_top[ci] < 0) continue;
                    const float *x = segment(&sb, b, &m);
                    select_hist_low2(low + (size_t)b * SELECT_BINS, (uint32_t)top[b], low_chunk + (size_t)b * SELECT_BINS,
                                     (uint32_t)p.chunk_top[ci], x, m);
                }
            }
            for (int b = 0; b < NBASE && rc == 0; b++) {
                size_t ci = (size_t)b * nlc + (size_t)lc;
                for (size_t i = 0; i < SELECT_BINS; i++) lowsum[(size_t)b * SELECT_BINS + i] += low[(size_t)b * SELECT_BINS + i];
                if (p.chunk_top[ci] < 0) { p.chunk_median[ci] = NAN; continue; }
                p.chunk_median[ci] = select_finish32((uint32_t)p.chunk_top[ci], low_chunk + (size_t)b * SELECT_BINS, p.chunk_k[ci]);
            }
        }
        collective_fail_if(rc < 0);
        progress_update(&pr, lc + 1 < d.n_local_chunks ? lc + 1 : d.n_local_chunks);
    }
    mpi_allreduce_sum_u64(lowsum, (size_t)NBASE * SELECT_BINS);
    double pass2_time = MPI_Wtime() - t2;
    float mom[NBASE];
    for (int b = 0; b < NBASE; b++) {
        size_t total;
        float *all = mpi_allgatherv_f32(p.chunk_median + (size_t)b * nlc, (size_t)d.n_local_chunks, &total);
        mom[b] = dselect_lower_median_local(all, total);
        free(all);
    }
    float med[NBASE];
    for (int b = 0; b < NBASE; b++)
        med[b] = top[b] < 0 ? NAN : dselect_finish((uint32_t)top[b], lowsum + (size_t)b * SELECT_BINS, k_in[b]);

    /* ---- results ---- */
    stat_summary s[NSTAT];
    for (int q = 0; q < NSTAT; q++) {
        int b = stat_base[q];
        const moments *m = stat_is_log[q] ? &p.log[b] : &p.lin[b];
        bool lg = stat_is_log[q];
        s[q] = (stat_summary){p.count[b], p.skipped[b], moments_mean(m), moments_variance(m),
                              lg ? log((double)p.min[b]) : p.min[b], lg ? log((double)p.max[b]) : p.max[b],
                              lg ? log((double)med[b]) : med[b], lg ? log((double)mom[b]) : mom[b]};
    }
    message0("%-9s %12s %23s %23s %14s %14s %14s %14s %10s", "quantity", "count", "mean", "variance", "min", "max",
             "median", "med.of.meds", "(mm-med)/sd");
    for (int q = 0; q < NSTAT; q++) {
        double sd = s[q].variance > 0 ? sqrt(s[q].variance) : 1.0;
        message0("%-9s %12llu %23.16e %23.16e %14.7e %14.7e %14.7e %14.7e %10.2e", stat_name[q],
                 (unsigned long long)s[q].count, s[q].mean, s[q].variance, s[q].min, s[q].max, s[q].median,
                 s[q].median_of_medians, (s[q].median_of_medians - s[q].median) / sd);
        jlog("statistic", "\"quantity\": \"%s\", \"count\": %llu, \"skipped\": %llu, \"mean\": %.17g, \"variance\": %.17g, "
             "\"min\": %.17g, \"max\": %.17g, \"median\": %.17g, \"median_of_medians\": %.17g",
             stat_name[q], (unsigned long long)s[q].count, (unsigned long long)s[q].skipped, s[q].mean, s[q].variance,
             s[q].min, s[q].max, s[q].median, s[q].median_of_medians);
        if (s[q].skipped) warning0("%s: %llu non-finite values were skipped", stat_name[q], (unsigned long long)s[q].skipped);
    }
    double gb = (double)n * bytes_per_sample / 1e9;
    message0("stats: pass 1 %.3f s (%.2f GB/s), pass 2 %.3f s (%.2f GB/s)", pass1_time, gb / pass1_time, pass2_time,
             gb / pass2_time);
    jlog("timing", "\"bytes\": %.0f, \"pass1_s\": %.6f, \"pass2_s\": %.6f, \"pass1_GBps\": %.4f", gb * 1e9, pass1_time,
         pass2_time, gb / pass1_time);
    if (params_bool(ps, "stats", "report_bandwidth")) {
        /* Every rank copies at once, as every rank read at once in pass 1. */
        MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
        double bw = clock_memcpy_bandwidth((size_t)256 << 20, 8), total = 0;
        MPI_CHECK(MPI_Allreduce(&bw, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
        message0("bandwidth: pass 1 %.3f GB/s, memcpy %.3f GB/s (all ranks at once, 256 MiB buffers), ratio %.3f",
                 gb / pass1_time, total / 1e9, gb / pass1_time / (total / 1e9));
        jlog("bandwidth", "\"pass1_GBps\": %.4f, \"memcpy_GBps\": %.4f, \"ratio\": %.4f", gb / pass1_time, total / 1e9,
             gb / pass1_time / (total / 1e9));
    }
    collective_fail_if(log_rank() == 0 && statsfile_write(output, s, input, n, dataset_grid(ds), dataset_nfreq(ds),
                                                          chunk_samples, params_text) != 0);
    message0("stats: wrote %s", output);
    jlog("end", "\"output\": \"%s\"", output);
    jlog_close();

    free(lowsum);
    free(low);
    free(low_chunk);
    free(p.chunk_top);
    free(p.chunk_k);
    free(p.hist_chunk);
    free(p.hist);
    free(p.chunk_median);
    free(sb.input);
    free(sb.output);
    free(sb.iplus);
    dataset_close(ds);
    return 0;
}

const stage stage_stats = {"stats", "global statistics of a dataset split across ranks (moments, min/max, exact median)",
                           stats_params, stats_sections, stats_run, NULL, stats_check};
