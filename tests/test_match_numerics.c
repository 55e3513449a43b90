/**
 * @file test_match_numerics.c
 * @brief src/match (spec/analogues.md §5-7) against the scipy oracles of
 * reference/analogues/analogues_reference.h5, at 1 and 2 ranks (the catalogue cut in contiguous
 * blocks must give the statistics of one block within 1e-13 relative and the same selection),
 * and the edge cases: zero vectors, sigma = 0, n < 2, all-zero dsize.
 *
 * The file is found at SYNOBS_REFERENCE_DIR/analogues_reference.h5 when that environment variable
 * is set, else at SYNOBS_SOURCE_DIR/../shared/reference/analogues/; the oracle tests skip, saying
 * why, when it is absent.
 */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_test.h"

#include "match/distance.h"
#include "match/kde.h"
#include "match/select.h"
#include "match/triplet.h"

static char ref_path[4096];

static hid_t open_reference(void)
{
    const char *dir = getenv("SYNOBS_REFERENCE_DIR");
    if (dir && *dir)
        snprintf(ref_path, sizeof ref_path, "%s/analogues_reference.h5", dir);
    else
        snprintf(ref_path, sizeof ref_path, "%s", SYNOBS_SOURCE_DIR "/../shared/reference/analogues/analogues_reference.h5");
    FILE *f = fopen(ref_path, "rb");
    if (!f) return -1;
    fclose(f);
    hid_t h = H5Fopen(ref_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    return h;
}

#define OPEN_REFERENCE_OR_SKIP(fid)                                                              \
    hid_t fid = open_reference();                                                                \
    if (fid < 0) {                                                                               \
        if (log_rank() == 0) printf("SKIP: reference file %s not found (set SYNOBS_REFERENCE_DIR)\n", ref_path); \
        skip();                                                                                  \
    }

/** Read a whole dataset as `type`; returns its element count (0 when n_max is too small). */
static size_t read_ds(hid_t f, const char *name, hid_t type, void *buf, size_t n_max)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t s = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(s);
    H5Sclose(s);
    assert_true(n >= 0 && (size_t)n <= n_max);
    assert_true(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    H5Dclose(d);
    return (size_t)n;
}

static double read_attr(hid_t f, const char *obj, const char *name)
{
    double v = NAN;
    hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0);
    H5Aclose(a);
    return v;
}

static double rel(double a, double ref)
{
    return ref == 0.0 ? fabs(a) : fabs(a - ref) / fabs(ref);
}

/* This rank's contiguous block [lo, hi) of n rows. */
static void block(size_t n, size_t *lo, size_t *hi)
{
    size_t r = (size_t)log_rank(), R = (size_t)log_size();
    *lo = n * r / R;
    *hi = n * (r + 1) / R;
}

/* ---- distances -------------------------------------------------------------- */

static void test_distances_oracle(void **state)
{
    (void)state;
    OPEN_REFERENCE_OR_SKIP(f);
    static const char *const names[4] = {"rand_u01_seed0", "binary_spiral", "ramp_xy", "const_half"};
    static const char *const oracle[MATCH_N_METRICS] = {"cosine", "euclidean", "braycurtis", "canberra", "l1"};
    float *F = malloc(4 * 1280 * sizeof *F); // (4, 1280) the gap/out_relu vectors, image_names order
    for (int i = 0; i < 4; i++) {
        char p[256];
        snprintf(p, sizeof p, "/mobilenet_v2/%s/gap/out_relu", names[i]);
        assert_int_equal(read_ds(f, p, H5T_NATIVE_FLOAT, F + i * 1280, 1280), 1280);
    }
    for (int m = 0; m < MATCH_N_METRICS; m++) {
        double ref[16], d[4], worst = 0.0, worst_abs = 0.0;
        char p[64];
        snprintf(p, sizeof p, "/distances/%s", oracle[m]);
        assert_int_equal(read_ds(f, p, H5T_NATIVE_DOUBLE, ref, 16), 16);
        for (int i = 0; i < 4; i++) {
            match_distances_f32((match_metric)m, F + i * 1280, F, 4, 1280, d);
            for (int j = 0; j < 4; j++) {
                double r = ref[i * 4 + j], e = fabs(d[j] - r);
                /* cosine near 0 (the diagonal, 1e-16): absolute, as the reference README says */
                if (m == MATCH_COSINE && fabs(r) < 1e-6) {
                    worst_abs = fmax(worst_abs, e);
                    assert_true(e <= 1e-12);
                } else {
                    worst = fmax(worst, rel(d[j], r));
                    assert_true(rel(d[j], r) <= 1e-12);
                }
            }
        }
        if (log_rank() == 0)
            printf("distances/%-10s max rel diff %.3g, max abs diff where |ref| < 1e-6 %.3g\n", oracle[m], worst,
                   worst_abs);
    }
    free(F);
    H5Fclose(f);
}

static void test_distance_edge_cases(void **state)
{
    (void)state;
    const double zero[3] = {0, 0, 0}, u[3] = {1, 0, 2}, v[3] = {0, 3, 2};
    /* [choice] cosine: 0 for two zero vectors, 1 for exactly one */
    assert_true(match_distance_pair(MATCH_COSINE, zero, zero, 3) == 0.0);
    assert_true(match_distance_pair(MATCH_COSINE, zero, u, 3) == 1.0);
    assert_true(match_distance_pair(MATCH_COSINE, u, zero, 3) == 1.0);
    assert_true(fabs(match_distance_pair(MATCH_COSINE, u, u, 3)) <= 1e-15);
    /* Bray-Curtis 0 when the denominator is 0; Canberra skips 0/0 terms */
    assert_true(match_distance_pair(MATCH_BRAYCURTIS, zero, zero, 3) == 0.0);
    assert_true(match_distance_pair(MATCH_CANBERRA, zero, zero, 3) == 0.0);
    assert_true(match_distance_pair(MATCH_CANBERRA, u, zero, 3) == 2.0); /* 1/1 + 0/0 + 2/2 */
    assert_true(match_distance_pair(MATCH_CANBERRA, u, v, 3) == 2.0);    /* 1/1 + 3/3 + 0/4 */
    assert_true(match_distance_pair(MATCH_BRAYCURTIS, u, v, 3) == 4.0 / 8.0);
    assert_true(match_distance_pair(MATCH_CITYBLOCK, u, v, 3) == 4.0);
    assert_true(match_distance_pair(MATCH_EUCLIDEAN, u, v, 3) == sqrt(10.0));
    assert_true(match_distance_pair(MATCH_EUCLIDEAN, zero, zero, 3) == 0.0);
    /* f32 rows: the same as widened f64 rows */
    const float uf[3] = {1, 0, 2}, Ff[6] = {0, 3, 2, 0, 0, 0};
    double d[2];
    match_distances_f32(MATCH_COSINE, uf, Ff, 2, 3, d);
    assert_true(d[0] == match_distance_pair(MATCH_COSINE, u, v, 3) && d[1] == 1.0);
    /* names */
    for (int m = 0; m < MATCH_N_METRICS; m++) assert_int_equal(match_metric_from_name(match_metric_name(m)), m);
    assert_int_equal(match_metric_from_name("eq12"), -1);
    assert_int_equal(match_eq12_norm_from_name("ratio_squared"), MATCH_EQ12_RATIO_SQUARED);
    assert_int_equal(match_eq12_norm_from_name("as_printed"), MATCH_EQ12_AS_PRINTED);
    /* eq. 12 with an all-zero column: that term counts 0 */
    const double dc[2] = {0, 0}, de[2] = {1, 2};
    double mx[2], out[2];
    match_eq12_max_local(dc, de, 2, mx);
    assert_true(mx[0] == 0.0 && mx[1] == 2.0);
    match_eq12(MATCH_EQ12_RATIO_SQUARED, dc, de, 2, mx, out);
    assert_true(out[0] == 0.25 && out[1] == 1.0);
    match_eq12(MATCH_EQ12_AS_PRINTED, dc, de, 2, mx, out);
    assert_true(out[0] == 0.5 && out[1] == 2.0);
}

/* ---- ranking and selection --------------------------------------------------- */

/* Full-catalogue statistics on this rank alone (the one-block reference for the split test). */
static void stats_one_block(const double *d, size_t n, int ddof, match_stats *s)
{
    moments m;
    match_moments_local(d, n, &m);
    match_stats_from_moments(&m, ddof, s);
}

static void stats_split(const double *d, size_t n, int ddof, match_stats *s)
{
    size_t lo, hi;
    block(n, &lo, &hi);
    moments m;
    match_moments_local(d + lo, hi - lo, &m);
    match_moments_allreduce(&m);
    match_stats_from_moments(&m, ddof, s);
}

/* Check one column against its oracle: d, z, the selection, and the split/one-block agreement. */
static void check_column(hid_t f, const char *name, const double *d, size_t n, size_t expect_count)
{
    enum { N = 500 };
    double dref[N], zref[N], z[N];
    uint8_t sref[N], mask[N];
    char p[128];
    snprintf(p, sizeof p, "/ranking_example/%s%s", strncmp(name, "D12", 3) == 0 ? "" : "d_", name);
    assert_int_equal(read_ds(f, p, H5T_NATIVE_DOUBLE, dref, N), n);
    snprintf(p, sizeof p, "/ranking_example/z_%s", name);
    assert_int_equal(read_ds(f, p, H5T_NATIVE_DOUBLE, zref, N), n);
    snprintf(p, sizeof p, "/ranking_example/select_%s", name);
    assert_int_equal(read_ds(f, p, H5T_NATIVE_UINT8, sref, N), n);

    size_t lo, hi;
    block(n, &lo, &hi);
    match_stats s, s1;
    stats_split(d, n, 0, &s);
    stats_one_block(d, n, 0, &s1);
    assert_true(all_true(rel(s.mean, s1.mean) <= 1e-13 && rel(s.std, s1.std) <= 1e-13));

    /* this rank's block: z and the selection as the stage would make them */
    match_zscores(d + lo, hi - lo, &s, z + lo);
    size_t k = match_select(z + lo, hi - lo, &s, 2.0, 1, mask + lo);
    double wd = 0, wz = 0, wza = 0;
    int ok = 1;
    for (size_t i = lo; i < hi; i++) {
        wd = fmax(wd, rel(d[i], dref[i]));
        wz = fmax(wz, rel(z[i], zref[i]));
        wza = fmax(wza, fabs(z[i] - zref[i]));
        ok &= rel(d[i], dref[i]) <= 1e-12;
        /* z relative, except near z = 0 where d - mu cancels: there 1e-12 absolute */
        ok &= fabs(z[i] - zref[i]) <= 1e-12 * fmax(fabs(zref[i]), 1.0);
        ok &= mask[i] == sref[i];
    }
    double w[3] = {wd, wz, wza};
    MPI_Allreduce(MPI_IN_PLACE, w, 3, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    uint64_t kk = k;
    MPI_Allreduce(MPI_IN_PLACE, &kk, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    if (log_rank() == 0)
        printf("ranking/%-15s d max rel %.3g, z max rel %.3g (max abs %.3g), %zu selected (oracle %zu), "
               "mean %.17g std %.17g, split vs one block: mean %.3g std %.3g rel\n",
               name, w[0], w[1], w[2], (size_t)kk, expect_count, s.mean, s.std, rel(s.mean, s1.mean),
               rel(s.std, s1.std));
    assert_true(all_true(ok));
    assert_true(kk == expect_count);

    /* the full column on every rank: ranking of our d equals that of the oracle's, exactly */
    int64_t *o = malloc(n * sizeof *o), *oref = malloc(n * sizeof *oref), *sel = malloc(n * sizeof *sel);
    match_rank(d, n, o);
    match_rank(dref, n, oref);
    assert_memory_equal(o, oref, n * sizeof *o);
    for (size_t r = 1; r < n; r++) assert_true(d[o[r - 1]] < d[o[r]] || (d[o[r - 1]] == d[o[r]] && o[r - 1] < o[r]));
    /* the selected members in rank order, from the oracle's mask */
    size_t K = match_selected_in_rank_order(o, sref, n, sel);
    assert_int_equal(K, expect_count);
    for (size_t j = 0; j < K; j++) {
        assert_true(sref[sel[j]]);
        if (j) assert_true(d[sel[j - 1]] <= d[sel[j]]);
    }
    /* the -2 sigma set is the K best (z is monotone in d) */
    int64_t top[50];
    assert_int_equal(match_top_k(o, n, 50, top), 50);
    assert_memory_equal(top, sel, K * sizeof *sel);
    assert_int_equal(match_top_k(o, 3, 8, top), 3);
    free(o);
    free(oref);
    free(sel);
}

static void test_ranking_oracle(void **state)
{
    (void)state;
    OPEN_REFERENCE_OR_SKIP(f);
    enum { N = 500, C = 16 };
    double *cat = malloc(N * C * sizeof *cat), obs[C]; // (N, C), (C)
    assert_int_equal(read_ds(f, "/ranking_example/catalogue", H5T_NATIVE_DOUBLE, cat, N * C), N * C);
    assert_int_equal(read_ds(f, "/ranking_example/observation", H5T_NATIVE_DOUBLE, obs, C), C);
    static const char *const oracle[MATCH_N_METRICS] = {"cosine", "euclidean", "braycurtis", "canberra", "l1"};
    static const size_t counts[MATCH_N_METRICS] = {14, 12, 13, 13, 12};
    double *d[MATCH_N_METRICS];
    size_t lo, hi;
    block(N, &lo, &hi);
    for (int m = 0; m < MATCH_N_METRICS; m++) {
        d[m] = calloc(N, sizeof(double));
        /* each rank computes its block; the columns are then gathered, as the stage will */
        match_distances_f64((match_metric)m, obs, cat + lo * C, hi - lo, C, d[m] + lo);
        MPI_Allreduce(MPI_IN_PLACE, d[m], N, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD); /* disjoint blocks: a gather */
        check_column(f, oracle[m], d[m], N, counts[m]);
    }
    /* eq. 12: per-rank maxima, reduced, then the formula; both conventions */
    double mx[2], one[2], e12[N];
    match_eq12_max_local(d[MATCH_COSINE] + lo, d[MATCH_EUCLIDEAN] + lo, hi - lo, mx);
    match_eq12_max_allreduce(mx);
    match_eq12_max_local(d[MATCH_COSINE], d[MATCH_EUCLIDEAN], N, one);
    assert_true(mx[0] == one[0] && mx[1] == one[1]);
    match_eq12(MATCH_EQ12_RATIO_SQUARED, d[MATCH_COSINE], d[MATCH_EUCLIDEAN], N, mx, e12);
    check_column(f, "D12_ratio_sq", e12, N, 12);
    match_eq12(MATCH_EQ12_AS_PRINTED, d[MATCH_COSINE], d[MATCH_EUCLIDEAN], N, mx, e12);
    check_column(f, "D12_as_printed", e12, N, 13);
    for (int m = 0; m < MATCH_N_METRICS; m++) free(d[m]);
    free(cat);
    H5Fclose(f);
}

static void test_select_edge_cases(void **state)
{
    (void)state;
    /* all distances equal: sigma = 0, z = 0, empty selection (with a warning) */
    double d[7] = {3, 3, 3, 3, 3, 3, 3}, z[7];
    uint8_t mask[7];
    match_stats s;
    stats_split(d, 7, 0, &s);
    assert_true(s.std == 0.0 && s.mean == 3.0 && s.n == 7.0);
    match_zscores(d, 7, &s, z);
    for (int i = 0; i < 7; i++) assert_true(z[i] == 0.0);
    assert_int_equal(match_select(z, 7, &s, 2.0, 1, mask), 0);
    for (int i = 0; i < 7; i++) assert_int_equal(mask[i], 0);
    /* ties keep catalogue order */
    int64_t o[7];
    const double t[7] = {2, 1, 2, 1, 0, 2, 1};
    match_rank(t, 7, o);
    const int64_t expect[7] = {4, 1, 3, 6, 0, 2, 5};
    assert_memory_equal(o, expect, sizeof o);
    /* ddof 1 against a two-pass sum; ddof 1 with one value gives sigma 0 */
    const double x[5] = {1, 2, 4, 8, 16};
    stats_split(x, 5, 1, &s);
    double mu = 31.0 / 5.0, ss = 0;
    for (int i = 0; i < 5; i++) ss += (x[i] - mu) * (x[i] - mu);
    assert_true(rel(s.mean, mu) <= 1e-15 && rel(s.std, sqrt(ss / 4.0)) <= 1e-15);
    stats_one_block(x, 1, 1, &s);
    assert_true(s.std == 0.0);
    stats_one_block(x, 0, 0, &s);
    assert_true(s.n == 0.0 && s.std == 0.0);
    /* the threshold and the z histogram in bins of 0.1 sigma */
    s = (match_stats){.n = 5, .mean = 10.0, .std = 2.0, .ddof = 0};
    assert_true(match_threshold(&s, 2.0) == 6.0);
    const double zz[6] = {-2.05, -2.0, -0.01, 0.0, 0.35, 1.0};
    int64_t k0;
    size_t nb;
    match_zhist_layout(-2.05, 1.0, 0.1, &k0, &nb);
    assert_true(k0 == -21 && nb == 32);
    int64_t *h = calloc(nb, sizeof *h);
    match_zhist_add(zz, 6, 0.1, k0, nb, h);
    int64_t tot = 0;
    for (size_t j = 0; j < nb; j++) tot += h[j];
    assert_true(tot == 6 && h[0] == 1 && h[21] == 1 && h[20] == 1 && h[31] == 1);
    free(h);
}

/* ---- KDE ------------------------------------------------------------------------ */

static void test_kde_oracle(void **state)
{
    (void)state;
    OPEN_REFERENCE_OR_SKIP(f);
    double sample[64], grid[256], pdf[256], y[256];
    size_t n = read_ds(f, "/kde_example/sample", H5T_NATIVE_DOUBLE, sample, 64);
    size_t m = read_ds(f, "/kde_example/grid", H5T_NATIVE_DOUBLE, grid, 256);
    assert_int_equal(read_ds(f, "/kde_example/pdf", H5T_NATIVE_DOUBLE, pdf, 256), m);
    assert_int_equal(n, 40);
    double factor, h;
    assert_int_equal(match_kde_bandwidth(sample, n, &factor, &h), 0);
    double fref = read_attr(f, "/kde_example", "factor"), href = read_attr(f, "/kde_example", "h");
    match_kde_eval(sample, n, h, grid, m, y);
    double worst = 0, worst_abs = 0, pmax = 0;
    for (size_t j = 0; j < m; j++) {
        worst = fmax(worst, rel(y[j], pdf[j]));
        worst_abs = fmax(worst_abs, fabs(y[j] - pdf[j]));
        pmax = fmax(pmax, pdf[j]);
    }
    if (log_rank() == 0)
        printf("kde: factor rel %.3g, h rel %.3g, pdf max rel %.3g (max abs %.3g, max pdf %.3g)\n", rel(factor, fref),
               rel(h, href), worst, worst_abs, pmax);
    assert_true(rel(factor, fref) <= 1e-12 && rel(h, href) <= 1e-12);
    assert_true(worst <= 1e-10);

    /* summaries against numpy on the oracle's grid and pdf (tests/match_numerics_ref.py) */
    static const double np_oracle[4] = {39, 45.849812773208939, 28.883625327481358, 85.438554427236483};
    double s[4];
    match_kde_summary(grid, pdf, m, &s[0], &s[1], &s[2], &s[3]);
    for (int i = 0; i < 4; i++) assert_true(rel(s[i], np_oracle[i]) <= 1e-12);
    match_kde_summary(grid, y, m, &s[0], &s[1], &s[2], &s[3]);
    for (int i = 0; i < 4; i++) assert_true(rel(s[i], np_oracle[i]) <= 1e-10);

    /* end to end on the default grid: scipy's KDE, numpy's summaries (tests/match_numerics_ref.py) */
    static const double scipy_512[4] = {39.317419902785659, 45.812135124798601, 28.827667715536823,
                                        85.407447194881584};
    match_kde_cfg cfg;
    match_kde_cfg_default(&cfg);
    match_kde k;
    match_kde_build(sample, n, &cfg, &k);
    assert_true(k.has_kde && k.points == 512 && k.n == 40 && k.n_kde == 40 && k.n_zero == 0);
    const double got[4] = {k.mode, k.median, k.p16, k.p84};
    double w = 0;
    for (int i = 0; i < 4; i++) w = fmax(w, rel(got[i], scipy_512[i]));
    if (log_rank() == 0)
        printf("kde summaries (512-point default grid) vs scipy+numpy: max rel %.3g; mode %.6f median %.6f p16 %.6f "
               "p84 %.6f\n",
               w, k.mode, k.median, k.p16, k.p84);
    assert_true(w <= 1e-10);
    match_kde_free(&k);
    H5Fclose(f);
}

static void test_kde_edge_cases(void **state)
{
    (void)state;
    match_kde_cfg cfg;
    match_kde_cfg_default(&cfg);
    match_kde k;
    /* n < 2: the sample only */
    const double one = 5.0;
    match_kde_build(&one, 1, &cfg, &k);
    assert_true(!k.has_kde && k.x == NULL && isnan(k.median) && k.n == 1);
    match_kde_build(NULL, 0, &cfg, &k);
    assert_true(!k.has_kde && k.n == 0 && k.zero_fraction == 0.0);
    /* sigma = 0 */
    const double same[4] = {2, 2, 2, 2};
    match_kde_build(same, 4, &cfg, &k);
    assert_true(!k.has_kde && k.n_kde == 4);
    /* all-zero dsize: fraction 1, no KDE by default; with zeros included, sigma = 0: none either */
    const double zeros[5] = {0, 0, 0, 0, 0};
    match_kde_build(zeros, 5, &cfg, &k);
    assert_true(!k.has_kde && k.n_zero == 5 && k.zero_fraction == 1.0 && k.n_kde == 0);
    cfg.include_zeros = 1;
    match_kde_build(zeros, 5, &cfg, &k);
    assert_true(!k.has_kde && k.n_kde == 5);
    /* some zeros: excluded by default, fraction reported; included on request */
    const double dsize[6] = {0, 10, 0, 20, 40, 30};
    cfg.include_zeros = 0;
    match_kde_build(dsize, 6, &cfg, &k);
    assert_true(k.has_kde && k.n_kde == 4 && k.n_zero == 2 && rel(k.zero_fraction, 1.0 / 3.0) <= 1e-16);
    double fa, ha;
    const double nz[4] = {10, 20, 40, 30};
    match_kde_bandwidth(nz, 4, &fa, &ha);
    assert_true(k.h == ha && k.x[0] == 10 - 3 * ha && k.x[511] == 40 + 3 * ha);
    match_kde_free(&k);
    cfg.include_zeros = 1;
    match_kde_build(dsize, 6, &cfg, &k);
    assert_true(k.has_kde && k.n_kde == 6 && k.x[0] == -3 * k.h);
    match_kde_free(&k);
    /* pooling two selections, then numpy's 30-bin histogram */
    const double a[3] = {1, 2, 3}, b[2] = {4, 31};
    const double *const ss[2] = {a, b};
    const size_t ns[2] = {3, 2};
    size_t t;
    double *p = match_pool(ss, ns, 2, &t);
    assert_int_equal(t, 5);
    assert_true(p[0] == 1 && p[3] == 4 && p[4] == 31);
    double edges[31];
    int64_t c[30];
    match_histogram(p, t, 30, edges, c);
    /* numpy.histogram([1,2,3,4,31], bins=30): edges 1..31 step 1, counts [1,1,1,1,0,...,0,1] */
    assert_true(edges[0] == 1 && edges[30] == 31 && c[0] == 1 && c[1] == 1 && c[2] == 1 && c[3] == 1 && c[29] == 1);
    int64_t tot = 0;
    for (int i = 0; i < 30; i++) tot += c[i];
    assert_true(tot == 5);
    free(p);
    match_histogram(same, 4, 30, edges, c);
    assert_true(edges[0] == 1.5 && edges[30] == 2.5 && c[15] == 4);
    /* the quantile rule on a flat density: exact */
    const double g[3] = {0, 1, 2}, flat[3] = {1, 1, 1};
    assert_true(match_grid_quantile(g, flat, 3, 0.5) == 1.0 && match_grid_quantile(g, flat, 3, 0.25) == 0.5);
    assert_true(match_grid_quantile(g, flat, 3, 0.0) == 0.0 && match_grid_quantile(g, flat, 3, 1.0) == 2.0);
}

/* ---- triplets (§8.2-8.3) ------------------------------------------------------------ */

static void test_triplet_oracle(void **state)
{
    (void)state;
    OPEN_REFERENCE_OR_SKIP(f);
    enum { T = 8, K = 7 };
    double q[T * 3 * K], gref[T * 2 * K], sref[T], dap[T], dan[T], ppr[T], pnr[T], lref[T], g[2 * K];
    int pn[T * 2];
    assert_int_equal(read_ds(f, "/triplet_example/q", H5T_NATIVE_DOUBLE, q, T * 3 * K), T * 3 * K);
    assert_int_equal(read_ds(f, "/triplet_example/g", H5T_NATIVE_DOUBLE, gref, T * 2 * K), T * 2 * K);
    assert_int_equal(read_ds(f, "/triplet_example/score", H5T_NATIVE_DOUBLE, sref, T), T);
    assert_int_equal(read_ds(f, "/triplet_example/pn", H5T_NATIVE_INT, pn, T * 2), T * 2);
    assert_int_equal(read_ds(f, "/triplet_example/d_ap", H5T_NATIVE_DOUBLE, dap, T), T);
    assert_int_equal(read_ds(f, "/triplet_example/d_an", H5T_NATIVE_DOUBLE, dan, T), T);
    assert_int_equal(read_ds(f, "/triplet_example/P_p", H5T_NATIVE_DOUBLE, ppr, T), T);
    assert_int_equal(read_ds(f, "/triplet_example/P_n", H5T_NATIVE_DOUBLE, pnr, T), T);
    assert_int_equal(read_ds(f, "/triplet_example/loss", H5T_NATIVE_DOUBLE, lref, T), T);
    double wg = 0, ws = 0, wl = 0;
    for (int t = 0; t < T; t++) {
        const double *qt = q + t * 3 * K;
        double sc = match_triplet_score(qt, qt + K, qt + 2 * K, K, g);
        for (int i = 0; i < 2 * K; i++) {
            wg = fmax(wg, fabs(g[i] - gref[t * 2 * K + i]));
            assert_true(fabs(g[i] - gref[t * 2 * K + i]) <= 1e-12 * fabs(gref[t * 2 * K + i]));
        }
        ws = fmax(ws, fabs(sc - sref[t]));
        assert_true(fabs(sc - sref[t]) <= 1e-12 * fmax(fabs(sref[t]), 1.0));
        int p, n, rc = match_triplet_label(sc, &p, &n);
        assert_int_equal(p, pn[2 * t]);
        assert_int_equal(n, pn[2 * t + 1]);
        assert_int_equal(rc, pn[2 * t] == 0 ? -1 : 0);
        double P_p, P_n, L = match_triplet_loss(dap[t], dan[t], &P_p, &P_n);
        wl = fmax(wl, fmax(rel(L, lref[t]), fmax(rel(P_p, ppr[t]), rel(P_n, pnr[t]))));
        assert_true(rel(L, lref[t]) <= 1e-12 && rel(P_p, ppr[t]) <= 1e-12 && rel(P_n, pnr[t]) <= 1e-12);
    }
    assert_true(sref[5] == 0.0); /* identical members 2 and 3: exactly 0, resampled */
    if (log_rank() == 0)
        printf("triplets: g max abs diff %.3g, score max abs diff %.3g, loss/P_p/P_n max rel %.3g, labels exact\n", wg,
               ws, wl);
    H5Fclose(f);
}

static void test_triplet_gradient(void **state)
{
    (void)state;
    enum { D = 100 };
    double fa[D], fp[D], fn[D], ga[D], gp[D], gn[D], dap, dan;
    for (int i = 0; i < D; i++) { /* deterministic, no ties in |fa - f| */
        fa[i] = sin(0.37 * i + 0.1);
        fp[i] = 0.02 * cos(1.3 * i) + sin(0.37 * i + 0.1) + 0.01 * ((i % 3) - 1) + 0.003;
        fn[i] = 0.03 * sin(2.1 * i + 0.5) + sin(0.37 * i + 0.1) - 0.004;
    }
    double L = match_triplet_loss_grad(fa, fp, fn, D, ga, gp, gn, &dap, &dan);
    assert_true(rel(L, match_triplet_loss(dap, dan, NULL, NULL)) <= 1e-15);
    /* central differences: L is piecewise smooth in each coordinate, no kink within +-h here */
    const double h = 1e-7;
    double worst = 0;
    double *f3[3] = {fa, fp, fn}, *g3[3] = {ga, gp, gn};
    double tmp[3][D];
    for (int w = 0; w < 3; w++)
        for (int i = 0; i < D; i++) {
            double keep = f3[w][i];
            f3[w][i] = keep + h;
            double lp = match_triplet_loss_grad(fa, fp, fn, D, tmp[0], tmp[1], tmp[2], NULL, NULL);
            f3[w][i] = keep - h;
            double lm = match_triplet_loss_grad(fa, fp, fn, D, tmp[0], tmp[1], tmp[2], NULL, NULL);
            f3[w][i] = keep;
            double fd = (lp - lm) / (2 * h);
            worst = fmax(worst, fabs(fd - g3[w][i]));
            assert_true(fabs(fd - g3[w][i]) <= 1e-7);
        }
    if (log_rank() == 0) printf("triplet gradient vs central differences: max abs diff %.3g\n", worst);
    /* sign(0) = 0: identical outputs give a zero gradient */
    match_triplet_loss_grad(fa, fa, fa, D, ga, gp, gn, NULL, NULL);
    for (int i = 0; i < D; i++) assert_true(ga[i] == 0.0 && gp[i] == 0.0 && gn[i] == 0.0);
    /* g's [choice] and the labels */
    assert_true(match_triplet_g(0.0, 0.0) == 0.0 && match_triplet_g(1.0, 3.0) == 0.5);
    int p, n;
    assert_int_equal(match_triplet_label(0.0, &p, &n), -1);
    assert_true(p == 0 && n == 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_distances_oracle), cmocka_unit_test(test_distance_edge_cases),
    cmocka_unit_test(test_ranking_oracle),   cmocka_unit_test(test_select_edge_cases),
    cmocka_unit_test(test_kde_oracle),       cmocka_unit_test(test_kde_edge_cases),
    cmocka_unit_test(test_triplet_oracle),   cmocka_unit_test(test_triplet_gradient),
};

MPI_TEST_MAIN(tests)
