/**
 * @file bench_stats_kernels.c
 * @brief Where the time of `synobs stats` pass 1 goes, per input value, against the time that half
 * the copy bandwidth leaves per value (the target). Benchmark, not a test.
 *
 * usage: bench_stats_kernels DATASET [FILE ...]
 *   DATASET  what `synobs stats` reads (its [stats] input)
 *   FILE     the files behind it (the shards): also read raw with pread, the floor of any read
 *
 * Pass 1 does per sample (stages/stats.c): read the sample (HDF5 direct chunk reads and the
 * Fletcher32 check, io/dataset.c), build I+ (zeros replaced), and for each of the five base
 * quantities the Chan sums and min/max (with the log sums for T, n_CO and I+) and the top-bit key
 * histogram. Each piece is timed here alone, on samples held in cache as the stage holds them,
 * and weighted by the share of the sample's values it touches. Single process, one thread.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "io/dataset.h"
#include "io/fletcher32.h"
#include "stats/moments.h"
#include "stats/scan.h"
#include "stats/select.h"

enum { SAMPLES = 4, REPEATS = 7 };

typedef struct {
    const char *what;
    double seconds_per_sample; /* best of REPEATS, on cached data */
} piece;

/* Samples in cache and what they hold. */
typedef struct {
    int64_t g3, img;          /* values of one input quantity, of one image set */
    float *input, *output, *iplus;
} samples;

static const float *base_values(const samples *s, int k, int b, size_t *n)
{
    if (b <= BASE_NCO) {
        *n = (size_t)s->g3;
        return s->input + ((size_t)k * 3 + (size_t)b) * (size_t)s->g3;
    }
    *n = (size_t)s->img;
    return (b == BASE_I ? s->output : s->iplus) + (size_t)k * (size_t)s->img;
}

static volatile double sink;

__attribute__((format(printf, 1, 2))) _Noreturn static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_stats_kernels: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* Best time of `repeats` runs of work(s, arg), in seconds. */
static double best_of(int repeats, void (*work)(const samples *, void *), const samples *s, void *arg)
{
    double best = 1e30;
    for (int r = 0; r < repeats; r++) {
        double t = clock_now();
        work(s, arg);
        t = clock_now() - t;
        best = t < best ? t : best;
    }
    return best;
}

static void checksum_all(const samples *s, void *unused)
{
    (void)unused;
    int ok = 0;
    for (int k = 0; k < SAMPLES; k++) {
        for (int q = 0; q < 3; q++)
            ok += fletcher32_matches(s->input + ((size_t)k * 3 + (size_t)q) * (size_t)s->g3, (size_t)s->g3 * 4, 0);
        ok += fletcher32_matches(s->output + (size_t)k * (size_t)s->img, (size_t)s->img * 4, 0);
    }
    sink += ok;
}

static void replace_zeros_all(const samples *s, void *unused)
{
    (void)unused;
    for (int k = 0; k < SAMPLES; k++)
        sink += scan_replace_zeros(s->output + (size_t)k * (size_t)s->img, s->iplus + (size_t)k * (size_t)s->img,
                                   (size_t)s->img);
}

/* The Chan sums, min and max of every base; *with_log: also the log sums where the stage takes them. */
static void moments_all(const samples *s, void *with_log)
{
    for (int k = 0; k < SAMPLES; k++)
        for (int b = 0; b < NBASE; b++) {
            size_t n;
            const float *x = base_values(s, k, b, &n);
            moments_acc lin, lg;
            moments_acc_start(&lin, x[0]);
            moments_acc_start(&lg, 0.0);
            bool want_log = *(const bool *)with_log && base_has_log[b];
            for (size_t i = 0; i < n; i += MOMENTS_BLOCK) {
                float mn, mx;
                size_t bad;
                moments_acc_add_f32_log(&lin, want_log ? &lg : NULL, x + i, n - i < MOMENTS_BLOCK ? n - i : MOMENTS_BLOCK,
                                        &mn, &mx, &bad);
            }
            sink += lin.s1.hi + lg.s1.hi;
        }
}

static void histogram_all(const samples *s, void *hist)
{
    for (int k = 0; k < SAMPLES; k++)
        for (int b = 0; b < NBASE; b++) {
            size_t n;
            const float *x = base_values(s, k, b, &n);
            select_hist_top((uint32_t *)hist + (size_t)b * SELECT_BINS, x, n);
        }
}

/* The stage's read of every sample of the dataset (HDF5 direct chunk reads + Fletcher32), one at a time. */
static void read_dataset(const samples *s, void *ds)
{
    for (int64_t k = 0; k < dataset_samples(ds); k++)
        if (dataset_read(ds, k, 1, s->input, s->output) != 0) fail("%s", error_message());
}

/* Raw pread of the files in 1 MiB pieces into one buffer that stays in cache: bytes per second. */
static double raw_read_rate(char **files, int nfiles)
{
    const size_t piece_bytes = (size_t)1 << 20;
    char *buf = xmalloc(piece_bytes);
    memset(buf, 0, piece_bytes);
    double best = 0;
    for (int r = 0; r < 3; r++) {
        double bytes = 0, t = clock_now();
        for (int f = 0; f < nfiles; f++) {
            int fd = open(files[f], O_RDONLY);
            if (fd < 0) fail("%s: cannot open", files[f]);
            ssize_t got;
            off_t off = 0;
            while ((got = pread(fd, buf, piece_bytes, off)) > 0) { off += got; bytes += (double)got; }
            close(fd);
        }
        t = clock_now() - t;
        best = bytes / t > best ? bytes / t : best;
    }
    free(buf);
    return best;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    log_init(0, 1, true);
    if (argc < 2) {
        fprintf(stderr, "usage: bench_stats_kernels DATASET [FILE ...]\n");
        return 2;
    }
    dataset *ds;
    if (dataset_open(argv[1], &ds) != 0) fail("%s", error_message());
    if (dataset_samples(ds) < SAMPLES) fail("%s: needs at least %d samples", argv[1], SAMPLES);
    samples s = {dataset_input_floats(ds) / 3, dataset_output_floats(ds), NULL, NULL, NULL};
    s.input = xmalloc((size_t)SAMPLES * 3 * (size_t)s.g3 * sizeof(float));
    s.output = xmalloc((size_t)SAMPLES * (size_t)s.img * sizeof(float));
    s.iplus = xmalloc((size_t)SAMPLES * (size_t)s.img * sizeof(float));
    if (dataset_read(ds, 0, SAMPLES, s.input, s.output) != 0) fail("%s", error_message());
    for (int k = 0; k < SAMPLES; k++)
        scan_replace_zeros(s.output + (size_t)k * (size_t)s.img, s.iplus + (size_t)k * (size_t)s.img, (size_t)s.img);
    uint32_t *hist = xcalloc((size_t)NBASE * SELECT_BINS, sizeof *hist);
    const double values = (double)(3 * s.g3 + s.img); /* input values per sample (what the GB/s count) */

    double read_s = best_of(3, read_dataset, &s, ds) / (double)dataset_samples(ds);
    dataset_read(ds, 0, SAMPLES, s.input, s.output);
    bool without_log = false, with_log = true;
    double check_s = best_of(REPEATS, checksum_all, &s, NULL) / SAMPLES;
    double lin_s = best_of(REPEATS, moments_all, &s, &without_log) / SAMPLES;
    double log_s = best_of(REPEATS, moments_all, &s, &with_log) / SAMPLES - lin_s;
    piece pieces[] = {
        {"read: HDF5 direct chunk reads (Fletcher32 excluded)", read_s - check_s},
        {"Fletcher32 check", check_s},
        {"I+ (zeros replaced)", best_of(REPEATS, replace_zeros_all, &s, NULL) / SAMPLES},
        {"Chan sums, min, max (5 bases)", lin_s},
        {"log sums (T, n_CO, I+)", log_s},
        {"top-bit key histograms (5 bases)", best_of(REPEATS, histogram_all, &s, hist) / SAMPLES},
    };
    const int npieces = (int)(sizeof pieces / sizeof pieces[0]);
    double memcpy_bw = clock_memcpy_bandwidth((size_t)256 << 20, 8);
    double budget = 2.0 * 4.0 / memcpy_bw * 1e9; /* ns per value at half the copy bandwidth */

    printf("dataset %s: %lld samples of %.0f values (%.2f MB)\n", argv[1], (long long)dataset_samples(ds), values,
           values * 4 / 1e6);
    printf("memcpy (256 MiB buffers, this process): %.2f GB/s -> half of it leaves %.3f ns per value\n",
           memcpy_bw / 1e9, budget);
    if (argc > 2) {
        double raw = raw_read_rate(argv + 2, argc - 2);
        printf("raw pread of the %d file(s) into a cached 1 MiB buffer: %.2f GB/s = %.3f ns per value\n", argc - 2,
               raw / 1e9, 4.0 / raw * 1e9);
    }
    printf("%-54s %12s %9s\n", "pass 1, piece by piece (cached data, one thread)", "ns per value", "of budget");
    double total = 0;
    for (int i = 0; i < npieces; i++) {
        double ns = pieces[i].seconds_per_sample / values * 1e9;
        total += ns;
        printf("%-54s %12.3f %8.0f%%\n", pieces[i].what, ns, 100 * ns / budget);
    }
    printf("%-54s %12.3f %8.0f%%\n", "sum", total, 100 * total / budget);
    printf("predicted pass 1 / memcpy ratio: %.3f (target 0.5)\n", 0.5 * budget / total);
    free(hist);
    free(s.input);
    free(s.output);
    free(s.iplus);
    dataset_close(ds);
    MPI_Finalize();
    return 0;
}
