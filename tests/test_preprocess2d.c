/* The shared 2-D preprocessing (spec analogues.md §3, src/match/preprocess.h): Pillow's BICUBIC
 * resize bit for bit against Debian python3-pil (fixtures from tests/make_preprocess_fixture.py),
 * the nearest-neighbour fill against a brute-force reference (ties included), the stretch against
 * numpy, exact 90° rotations, the primary-above-secondary angle, zoom/crop and the whole chain.
 * The tests that need /usr/bin/python3 with numpy and PIL say why and skip where they are missing. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/check.h"
#include "match/preprocess.h"
#include "mpi_test.h"

#define DIR "preprocess2d_fixture"
#define WRITER "/usr/bin/python3 " SYNOBS_SOURCE_DIR "/tests/make_preprocess_fixture.py"

/* Writes the fixtures once; 0 if python3 with numpy and PIL is missing (the caller skips). */
static int fixtures(void)
{
    static int done = 0;
    if (done) return done > 0;
    if (access("/usr/bin/python3", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import numpy; from PIL import Image' >/dev/null 2>&1") != 0) {
        done = -1;
        return 0;
    }
    assert_int_equal(system("rm -rf " DIR " && " WRITER " --out " DIR), 0);
    done = 1;
    return 1;
}

static void *read_raw(const char *path, size_t bytes)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    void *buf = xmalloc(bytes);
    if (fread(buf, 1, bytes, f) != bytes) fail_msg("%s is shorter than %zu bytes", path, bytes);
    fclose(f);
    return buf;
}

/* Distance in units in the last place between two finite floats (ordered integer mapping). */
static int64_t ulp_diff(float a, float b)
{
    int32_t ia, ib;
    memcpy(&ia, &a, 4);
    memcpy(&ib, &b, 4);
    int64_t oa = ia < 0 ? (int64_t)INT32_MIN - ia : ia, ob = ib < 0 ? (int64_t)INT32_MIN - ib : ib;
    return oa > ob ? oa - ob : ob - oa;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* ---- 4. Resize: bit for bit against Pillow -------------------------------------------- */

static void test_resize_pillow(void **state)
{
    (void)state;
    if (!fixtures()) {
        print_message("skipped: /usr/bin/python3 with numpy and PIL (python3-pil) is needed for the Pillow oracle\n");
        skip();
    }
    FILE *man = fopen(DIR "/resize.txt", "r");
    assert_non_null(man);
    char name[128];
    int H, W, h, w, cases = 0;
    long total_bad = 0;
    while (fscanf(man, "%127s %d %d %d %d", name, &H, &W, &h, &w) == 5) {
        char path[300];
        snprintf(path, sizeof path, DIR "/rs_%s.in.f32", name);
        float *in = read_raw(path, (size_t)H * W * 4);
        snprintf(path, sizeof path, DIR "/rs_%s.out.f32", name);
        float *want = read_raw(path, (size_t)h * w * 4);
        float *got = xmalloc((size_t)h * w * 4);
        prep_resize_bicubic(in, H, W, got, h, w);
        long bad = 0;
        int64_t maxulp = 0;
        for (size_t k = 0; k < (size_t)h * w; k++)
            if (memcmp(&got[k], &want[k], 4) != 0) {
                bad++;
                int64_t u = ulp_diff(got[k], want[k]);
                if (u > maxulp) maxulp = u;
            }
        print_message("resize %-32s %4dx%-4d -> %4dx%-4d: %ld of %d pixels differ from Pillow, max %lld ulp\n", name,
                      H, W, h, w, bad, h * w, (long long)maxulp);
        total_bad += bad;
        cases++;
        free(in);
        free(want);
        free(got);
    }
    fclose(man);
    assert_true(cases >= 20);
    assert_int_equal(total_bad, 0);
}

/* ---- 2. Nearest-neighbour fill ----------------------------------------------------------- */

/* Brute force: every valid pixel in row-major order, strictly smaller d² wins, so ties go to the
 * smallest (row, col). */
static void fill_brute(const float *in, int H, int W, float *out)
{
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            size_t k = (size_t)i * W + j;
            out[k] = in[k];
            if (isfinite(in[k])) continue;
            int64_t bd = INT64_MAX;
            for (int r = 0; r < H; r++)
                for (int c = 0; c < W; c++) {
                    if (!isfinite(in[(size_t)r * W + c])) continue;
                    int64_t d = (int64_t)(r - i) * (r - i) + (int64_t)(c - j) * (c - j);
                    if (d < bd) {
                        bd = d;
                        out[k] = in[(size_t)r * W + c];
                    }
                }
        }
}

/* Each valid pixel carries its own index, so the chosen source is identified exactly. */
static void check_fill(const float *img, int H, int W, const char *what)
{
    size_t n = (size_t)H * W;
    float *a = xmalloc(n * 4), *b = xmalloc(n * 4);
    memcpy(a, img, n * 4);
    assert_int_equal(prep_fill_nearest(a, H, W, what), 0);
    fill_brute(img, H, W, b);
    for (size_t k = 0; k < n; k++)
        if (a[k] != b[k])
            fail_msg("%s: pixel (%zu, %zu) took %g, brute force %g", what, k / W, k % W, a[k], b[k]);
    free(a);
    free(b);
}

static void test_fill_nearest(void **state)
{
    (void)state;
    /* Hand-made ties: the missing centre (5,5) of an 11x11 image. */
    enum { N = 11 };
    float img[N * N];
    for (int k = 0; k < N * N; k++) img[k] = NAN;
    img[5 * N + 3] = 1; /* (5,3) and (5,7) at distance 2: (5,3) wins */
    img[5 * N + 7] = 2;
    float t[N * N];
    memcpy(t, img, sizeof t);
    assert_int_equal(prep_fill_nearest(t, N, N, "ties"), 0);
    assert_true(t[5 * N + 5] == 1.0f);
    img[3 * N + 5] = 3; /* (3,5) also at distance 2, smaller row: it wins */
    img[7 * N + 5] = 4;
    memcpy(t, img, sizeof t);
    assert_int_equal(prep_fill_nearest(t, N, N, "ties"), 0);
    assert_true(t[5 * N + 5] == 3.0f);
    /* Squared distance 25 reached both as (3,4) and (0,5) offsets: the smallest (row, col) wins. */
    float t25[N * N];
    for (int k = 0; k < N * N; k++) t25[k] = NAN;
    t25[5 * N + 10] = 5; /* (0,5) offset */
    t25[9 * N + 2] = 6;  /* (4,-3) offset */
    t25[1 * N + 8] = 7;  /* (-4,3) offset: smallest row, wins */
    assert_int_equal(prep_fill_nearest(t25, N, N, "ties25"), 0);
    assert_true(t25[5 * N + 5] == 7.0f);
    check_fill(img, N, N, "ties");

    /* Random masks, from nearly full to a handful of valid pixels, and lattices (many ties). */
    uint64_t s = 12345;
    const int sizes[][2] = {{1, 1}, {1, 17}, {17, 1}, {23, 31}, {40, 40}, {64, 37}};
    const double keep[] = {0.9, 0.5, 0.1, 0.02, 0.003};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (size_t ki = 0; ki < sizeof keep / sizeof keep[0]; ki++) {
            int H = sizes[si][0], W = sizes[si][1];
            float *a = xmalloc((size_t)H * W * 4);
            int nvalid = 0;
            for (int k = 0; k < H * W; k++) {
                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                double u = (double)(s >> 11) / 9007199254740992.0;
                a[k] = u < keep[ki] ? (float)k : (u < keep[ki] + 0.05 ? INFINITY : NAN);
                nvalid += u < keep[ki];
            }
            if (nvalid == 0) a[(H * W) / 2] = 0.5f;
            char what[64];
            snprintf(what, sizeof what, "random %dx%d keep %g", H, W, keep[ki]);
            check_fill(a, H, W, what);
            for (int k = 0; k < H * W; k++) a[k] = ((k / W) % 4 == 0 && (k % W) % 4 == 0) ? (float)k : NAN;
            snprintf(what, sizeof what, "lattice %dx%d", H, W);
            check_fill(a, H, W, what);
            free(a);
        }

    /* No valid pixel: -1, the image named, the image unchanged. */
    float none[6] = {NAN, NAN, INFINITY, -INFINITY, NAN, NAN};
    assert_int_equal(prep_fill_nearest(none, 2, 3, "obs_moment1.fits"), -1);
    assert_non_null(strstr(error_message(), "obs_moment1.fits"));
    assert_true(isnan(none[0]) && isinf(none[2]));
    error_clear();

    /* Speed at 800x800: 90 % missing in blobs, and the worst case of a single valid pixel. */
    int H = 800, W = 800;
    float *big = xmalloc((size_t)H * W * 4);
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            double r = hypot(i - 400.0, j - 400.0);
            big[(size_t)i * W + j] = (r < 130 || (i % 97 == 0 && j % 89 == 0)) ? (float)(i + j) : NAN;
        }
    double t0 = now();
    assert_int_equal(prep_fill_nearest(big, H, W, "big"), 0);
    double t1 = now();
    for (size_t k = 0; k < (size_t)H * W; k++) big[k] = NAN;
    big[(size_t)H * W - 1] = 7.0f;
    double t2 = now();
    assert_int_equal(prep_fill_nearest(big, H, W, "one"), 0);
    double t3 = now();
    assert_true(big[0] == 7.0f);
    print_message("fill 800x800: disc + sparse grid (~92%% missing) %.3f s, one valid pixel %.3f s\n", t1 - t0, t3 - t2);
    free(big);
}

/* ---- 3. Stretch against numpy ------------------------------------------------------------ */

static void test_stretch(void **state)
{
    (void)state;
    if (!fixtures()) {
        print_message("skipped: /usr/bin/python3 with numpy and PIL (python3-pil) is needed for the numpy oracle\n");
        skip();
    }
    FILE *man = fopen(DIR "/stretch.txt", "r");
    assert_non_null(man);
    char name[128];
    int kind, cases = 0;
    size_t n;
    double floor_;
    while (fscanf(man, "%127s %d %zu %lf", name, &kind, &n, &floor_) == 4) {
        char path[300];
        snprintf(path, sizeof path, DIR "/st_%s.in.f32", name);
        float *in = read_raw(path, n * 4);
        snprintf(path, sizeof path, DIR "/st_%s.out.f64", name);
        double *want = read_raw(path, n * 8);
        float *got = xmalloc(n * 4);
        assert_int_equal(prep_stretch(kind ? PREP_STRETCH_LINEAR_MINMAX : PREP_STRETCH_LOG_MINMAX, floor_, in, n, got, name), 0);
        double maxd = 0;
        long zeros_mismatch = 0;
        for (size_t k = 0; k < n; k++) {
            double d = fabs(got[k] - want[k]);
            if (d > maxd) maxd = d;
            zeros_mismatch += (got[k] == 0) != (want[k] == 0);
            assert_true(got[k] >= 0 && got[k] <= 1);
        }
        print_message("stretch %-16s max |C - numpy| = %.3g (zeros disagree at %ld)\n", name, maxd, zeros_mismatch);
        assert_true(maxd <= 1e-6);
        assert_int_equal(zeros_mismatch, 0);
        cases++;
        free(in);
        free(want);
        free(got);
    }
    fclose(man);
    assert_true(cases >= 8);
    float bad[3] = {1, NAN, 2}, o[3];
    assert_int_equal(prep_stretch(PREP_STRETCH_LOG_MINMAX, 1e-6, bad, 3, o, "obs"), -1);
    assert_non_null(strstr(error_message(), "obs"));
    error_clear();
}

/* ---- 1. Geometry ------------------------------------------------------------------------- */

static void test_rotate_exact(void **state)
{
    (void)state;
    const int sizes[] = {1, 7, 9, 31};
    for (size_t si = 0; si < 4; si++) {
        int N = sizes[si];
        double c = (N - 1) / 2.0;
        float *in = xmalloc((size_t)N * N * 4), *out = xmalloc((size_t)N * N * 4);
        for (int k = 0; k < N * N; k++) in[k] = 1.0f + k * 0.37f;
        const double angles[] = {90, 180, 270, -90, 360, 450};
        for (size_t a = 0; a < 6; a++) {
            prep_rotate(in, N, N, angles[a], c, c, out);
            for (int i = 0; i < N; i++)
                for (int j = 0; j < N; j++) {
                    double r2, c2;
                    prep_rotate_point(angles[a], c, c, i, j, &r2, &c2);
                    int ri = (int)lround(r2), ci = (int)lround(c2);
                    assert_true(r2 == ri && c2 == ci);
                    if (out[(size_t)ri * N + ci] != in[(size_t)i * N + j])
                        fail_msg("N=%d, %g deg: (%d,%d) -> (%d,%d) is %g, not %g", N, angles[a], i, j, ri, ci,
                                 out[(size_t)ri * N + ci], in[(size_t)i * N + j]);
                }
        }
        /* Counter-clockwise as displayed: the top-right corner goes to the top-left. */
        prep_rotate(in, N, N, 90, c, c, out);
        assert_true(out[0] == in[N - 1]);
        free(in);
        free(out);
    }
    /* 45°: the corners come from outside the field (NaN), the centre stays. */
    enum { M = 21 };
    float in[M * M], out[M * M];
    for (int k = 0; k < M * M; k++) in[k] = 2.0f;
    prep_rotate(in, M, M, 45, 10, 10, out);
    assert_true(isnan(out[0]) && isnan(out[M - 1]) && isnan(out[M * M - 1]));
    assert_true(fabsf(out[10 * M + 10] - 2.0f) < 1e-6f);
    assert_true(fabsf(out[10 * M + 0] - 2.0f) < 1e-6f);
}

static void test_primary_above(void **state)
{
    (void)state;
    uint64_t s = 99;
    for (int t = 0; t < 1000; t++) {
        double v[4];
        for (int q = 0; q < 4; q++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            v[q] = (double)(s >> 11) / 9007199254740992.0 * 200.0;
        }
        double deg, rc = 0.5 * (v[0] + v[2]), cc = 0.5 * (v[1] + v[3]);
        assert_int_equal(prep_angle_primary_above(v[0], v[1], v[2], v[3], &deg), 0);
        assert_true(deg > -180 && deg <= 180);
        double r1, c1, r2, c2;
        prep_rotate_point(deg, rc, cc, v[0], v[1], &r1, &c1);
        prep_rotate_point(deg, rc, cc, v[2], v[3], &r2, &c2);
        double d = hypot(v[0] - v[2], v[1] - v[3]);
        assert_true(fabs(c1 - c2) <= 1e-9 * (1 + d));
        assert_true(r1 < r2);
        assert_true(fabs((r2 - r1) - d) <= 1e-9 * (1 + d));
        assert_true(fabs(r1 + r2 - 2 * rc) <= 1e-9 && fabs(c1 + c2 - 2 * cc) <= 1e-9); /* midpoint fixed */
    }
    /* Exact cases: primary right of, below, left of the secondary. */
    double deg;
    assert_int_equal(prep_angle_primary_above(10, 20, 10, 10, &deg), 0);
    assert_true(deg == 90.0);
    assert_int_equal(prep_angle_primary_above(20, 10, 10, 10, &deg), 0);
    assert_true(deg == 180.0);
    assert_int_equal(prep_angle_primary_above(10, 0, 10, 10, &deg), 0);
    assert_true(deg == -90.0);
    assert_int_equal(prep_angle_primary_above(0, 10, 10, 10, &deg), 0);
    assert_true(deg == 0.0);
    /* On an image: primary (value 2) right of the secondary (value 1); after rotating about the
     * midpoint the primary is exactly above it. */
    enum { N = 15 };
    float in[N * N], out[N * N];
    for (int k = 0; k < N * N; k++) in[k] = 0;
    in[7 * N + 10] = 2;
    in[7 * N + 4] = 1;
    assert_int_equal(prep_angle_primary_above(7, 10, 7, 4, &deg), 0);
    prep_rotate(in, N, N, deg, 7, 7, out);
    assert_true(out[4 * N + 7] == 2.0f && out[10 * N + 7] == 1.0f);
    assert_int_equal(prep_angle_primary_above(3, 3, 3, 3, &deg), -1);
    error_clear();
}

static void test_zoom_crop(void **state)
{
    (void)state;
    assert_int_equal(prep_zoom_size(800, 0.5), 400);
    assert_int_equal(prep_zoom_size(3, 0.1), 1);
    /* A linear ramp stays linear inside (bilinear is exact on it); a constant stays constant. */
    enum { H = 20, W = 30 };
    float in[H * W];
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) in[i * W + j] = 0.5f * i + 0.25f * j;
    int h = prep_zoom_size(H, 2.0), w = prep_zoom_size(W, 2.0);
    assert_int_equal(h, 40);
    assert_int_equal(w, 60);
    float *out = xmalloc((size_t)h * w * 4);
    prep_zoom(in, H, W, out, h, w);
    for (int i = 1; i < h - 1; i++)
        for (int j = 1; j < w - 1; j++) {
            double r = (i + 0.5) / 2 - 0.5, c = (j + 0.5) / 2 - 0.5;
            assert_true(fabs(out[i * w + j] - (0.5 * r + 0.25 * c)) < 1e-5);
        }
    /* NaN propagates to the outputs whose bilinear taps touch it, no further. */
    in[10 * W + 10] = NAN;
    prep_zoom(in, H, W, out, h, w);
    int nan = 0;
    for (int k = 0; k < h * w; k++) nan += isnan(out[k]) != 0;
    assert_true(isnan(out[20 * w + 20]) && isnan(out[21 * w + 21]));
    assert_int_equal(nan, 16); /* output rows/cols 18..21 read input row/col 10 with non-zero weight */
    free(out);
    /* Crop: window position and NaN outside. */
    float cr[5 * 5];
    prep_crop(in, H, W, 2, 3, 5, cr); /* rows 0..4, cols 1..5 */
    assert_true(cr[0] == in[1] && cr[24] == in[4 * W + 5]);
    prep_crop(in, H, W, 0, 0, 5, cr); /* rows/cols -2..2 */
    assert_true(isnan(cr[0]) && isnan(cr[1 * 5 + 4]) && cr[2 * 5 + 2] == in[0] && cr[4 * 5 + 4] == in[2 * W + 2]);
}

/* ---- 5, 6. Conventions and the whole chain ---------------------------------------------- */

static void test_prep_image(void **state)
{
    (void)state;
    enum { H = 60, W = 80 };
    float *img = xmalloc(H * W * 4);
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            double r = hypot(i - 30.0, j - 40.0);
            img[i * W + j] = r < 25 ? (float)exp(-r / 6.0) : NAN; /* observed only above a threshold */
        }
    prep_params p = prep_params_default();
    int h, w;
    prep_output_size(&p, H, W, &h, &w);
    assert_int_equal(h, 224);
    assert_int_equal(w, 224);
    float *a = xmalloc((size_t)3 * h * w * 4), *b = xmalloc((size_t)3 * h * w * 4);
    assert_int_equal(prep_image(&p, img, H, W, a), 0);
    /* nsfwjs: the stretched grey image in all three channels, in [0,1] up to the cubic's overshoot. */
    for (int k = 0; k < h * w; k++) {
        assert_true(a[3 * k] == a[3 * k + 1] && a[3 * k] == a[3 * k + 2]);
        assert_true(isfinite(a[3 * k]) && a[3 * k] > -0.2f && a[3 * k] < 1.2f);
    }
    /* The same chain by hand: fill, stretch, resize. */
    float *g = xmalloc(H * W * 4), *r = xmalloc((size_t)h * w * 4);
    memcpy(g, img, H * W * 4);
    assert_int_equal(prep_fill_nearest(g, H, W, "x"), 0);
    assert_int_equal(prep_stretch(PREP_STRETCH_LOG_MINMAX, 1e-6, g, H * W, g, "x"), 0);
    prep_resize_bicubic(g, H, W, r, h, w);
    for (int k = 0; k < h * w; k++) assert_true(a[3 * k] == r[k]);
    /* caffe and torch conventions from the same grey values. */
    p.convention = PREP_CONV_CAFFE;
    assert_int_equal(prep_image(&p, img, H, W, b), 0);
    const float bgr[3] = {103.939f, 116.779f, 123.68f}, mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
    for (int k = 0; k < h * w; k++)
        for (int c = 0; c < 3; c++) assert_true(b[3 * k + c] == r[k] * 255.0f - bgr[c]);
    p.convention = PREP_CONV_TORCH;
    assert_int_equal(prep_image(&p, img, H, W, b), 0);
    for (int k = 0; k < h * w; k++)
        for (int c = 0; c < 3; c++) assert_true(b[3 * k + c] == (r[k] - mean[c]) / sd[c]);
    free(b);
    /* Native size with geometry: rotate about the centre, zoom 1.5, crop 64. */
    p = prep_params_default();
    p.input_size = 0;
    p.rotate_deg = 30;
    p.rotate_row = 30;
    p.rotate_col = 40;
    p.zoom = 1.5;
    p.crop_size = 64;
    p.crop_row = 30;
    p.crop_col = 40;
    p.stretch = PREP_STRETCH_LINEAR_MINMAX;
    prep_output_size(&p, H, W, &h, &w);
    assert_int_equal(h, 64);
    assert_int_equal(w, 64);
    b = xmalloc((size_t)3 * h * w * 4);
    assert_int_equal(prep_image(&p, img, H, W, b), 0);
    float mx = 0, mn = 1;
    for (int k = 0; k < 3 * h * w; k++) {
        mx = fmaxf(mx, b[k]);
        mn = fminf(mn, b[k]);
    }
    assert_true(mn == 0.0f && mx == 1.0f);
    /* Deterministic: a second run is identical. */
    float *b2 = xmalloc((size_t)3 * h * w * 4);
    assert_int_equal(prep_image(&p, img, H, W, b2), 0);
    assert_memory_equal(b, b2, (size_t)3 * h * w * 4);
    /* Nothing valid: the named image in the error. */
    for (int k = 0; k < H * W; k++) img[k] = NAN;
    assert_int_equal(prep_image_named(&p, "IRAS2A_mom1", img, H, W, b), -1);
    assert_non_null(strstr(error_message(), "IRAS2A_mom1"));
    error_clear();
    /* The parameters as attributes. */
    hid_t f = H5Fcreate("preprocess2d_params.h5", H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    prep_params_write_h5(&p, f);
    char buf[64];
    double v;
    assert_int_equal(h5_attr_read_string(f, "prep_stretch", buf, sizeof buf), 0);
    assert_string_equal(buf, "linear_minmax");
    assert_int_equal(h5_attr_read_string(f, "prep_input_size", buf, sizeof buf), 0);
    assert_string_equal(buf, "native");
    assert_int_equal(h5_attr_read_f64(f, "prep_zoom", &v), 0);
    assert_true(v == 1.5);
    assert_int_equal(h5_attr_read_f64(f, "prep_rotate_deg", &v), 0);
    assert_true(v == 30);
    H5Fclose(f);
    free(img);
    free(a);
    free(b);
    free(b2);
    free(g);
    free(r);
}

static const struct CMUnitTest group[] = {
    cmocka_unit_test(test_resize_pillow), cmocka_unit_test(test_fill_nearest), cmocka_unit_test(test_stretch),
    cmocka_unit_test(test_rotate_exact),  cmocka_unit_test(test_primary_above), cmocka_unit_test(test_zoom_crop),
    cmocka_unit_test(test_prep_image),
};
MPI_TEST_MAIN(group)
