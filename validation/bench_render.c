/**
 * @file bench_render.c
 * @brief Time per dust-continuum image of `synobs catalogue`'s renderer (issue 16): one snapshot
 * of a preset seen by its 8 observers, rendered with the packets of rays (render_packet.c) and
 * one ray at a time (the scalar twin), side by side on the same views, with the largest
 * difference between the two images.
 *
 * Usage: bench_render [PRESET] [AGE_KYR] [PIXELS] [PIXEL_AU] [THREADS] [SCALAR_VIEWS]
 * (defaults B1, the preset's final age, 800, 2.5, 1, 1: the scalar path is timed on the first
 * SCALAR_VIEWS views only, it is ~5x slower).
 *        bench_render catalogue [K] [PIXELS] [PIXEL_AU] [THREADS]
 * times K snapshots evenly spread over each of B1, B2 and B3's lives (default 4; 8 views each,
 * packets only) and weighs each system by its number of snapshots at the default cadence of
 * 100 yr: the time per image of the default catalogue and its cost in core-hours.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue/binary.h"
#include "catalogue/cone.h"
#include "catalogue/render.h"
#include "catalogue/render_packet.h"
#include "core/check.h"

/* Mean seconds per image over the 8 views of system p at age t. */
static double snapshot_time(const binary_params *p, double t, int n, double pixel_au, int threads)
{
    binary_state s;
    binary_state_at(p, t, &s);
    cone_view v[8];
    cone_views(s.r[0], s.r[1], 143 * BIN_AU, 8, v);
    render_setup rs = {.mode = RENDER_DUST, .height = n, .width = n, .pixel = pixel_au * BIN_AU,
                       .distance = 230 * 3.0856775814913673e16, .step_scale = 1.0, .max_depth = 10, .threads = threads,
                       .freq = 230e9, .kappa0 = 0.0899, .nu_ref = 230e9, .beta = 1.7, .gas_to_dust = 100};
    for (int k = 0; k < 3; k++) rs.centre[k] = 0.5 * (s.r[0][k] + s.r[1][k]);
    double *a = xmalloc((size_t)n * n * sizeof *a), t0 = omp_get_wtime();
    for (int i = 0; i < 8; i++) render_view(&rs, p, &s, &v[i], a);
    free(a);
    return (omp_get_wtime() - t0) / 8;
}

static int catalogue_mode(int k, int n, double pixel_au, int threads)
{
    static const char *names[3] = {"B1", "B2", "B3"};
    double total = 0, images = 0;
    printf("# the default catalogue (B1, B2, B3; 100 yr; 8 views): %d snapshots of each system timed, %d x %d pixels of %.2f AU, %d thread(s)\n",
           k, n, n, pixel_au, threads);
    printf("# system  snapshots  age [kyr]  s per image (mean of 8 views)\n");
    for (int m = 0; m < 3; m++) {
        binary_params p = {0};
        rng r;
        rng_seed(&r, 11, 0);
        binary_defaults(&p);
        if (binary_preset(&p, names[m], &r) || binary_init(&p)) {
            fprintf(stderr, "bench_render: %s\n", error_message());
            return 1;
        }
        long ns = binary_snapshots(&p, 100 * BIN_YR, NULL);
        double *t = xmalloc((size_t)ns * sizeof *t), sum = 0;
        binary_snapshots(&p, 100 * BIN_YR, t);
        for (int j = 0; j < k; j++) {
            double tj = t[(long)((j + 0.5) * ns / k)], dt = snapshot_time(&p, tj, n, pixel_au, threads);
            printf("%8s  %9ld  %9.1f  %.3f\n", names[m], ns, tj / BIN_KYR, dt);
            sum += dt;
        }
        total += sum / k * ns * 8, images += ns * 8;
        free(t);
        binary_free(&p);
    }
    printf("catalogue: %.0f images, %.3f s per image (%.2f core-seconds), %.1f core-hours in all\n", images, total / images,
           total / images * threads, total * threads / 3600);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "catalogue"))
        return catalogue_mode(argc > 2 ? atoi(argv[2]) : 4, argc > 3 ? atoi(argv[3]) : 800, argc > 4 ? atof(argv[4]) : 2.5,
                              argc > 5 ? atoi(argv[5]) : 1);
    const char *preset = argc > 1 ? argv[1] : "B1";
    double age_kyr = argc > 2 ? atof(argv[2]) : 0;
    int n = argc > 3 ? atoi(argv[3]) : 800, threads = argc > 5 ? atoi(argv[5]) : 1;
    double pixel_au = argc > 4 ? atof(argv[4]) : 2.5;
    int scalar_views = argc > 6 ? atoi(argv[6]) : 1;
    binary_params p = {0};
    rng r;
    rng_seed(&r, 11, 0);
    binary_defaults(&p);
    if (binary_preset(&p, preset, &r) || binary_init(&p)) {
        fprintf(stderr, "bench_render: %s\n", error_message());
        return 1;
    }
    binary_state s;
    double t = age_kyr > 0 ? age_kyr * BIN_KYR : p.t_end;
    binary_state_at(&p, t, &s);
    cone_view v[8];
    cone_views(s.r[0], s.r[1], 143 * BIN_AU, 8, v); /* p = 143 AU, the paper's (where d < p: the edge-on views) */
    render_setup rs = {.mode = RENDER_DUST, .height = n, .width = n, .pixel = pixel_au * BIN_AU,
                       .distance = 230 * 3.0856775814913673e16, .step_scale = 1.0, .max_depth = 10, .threads = threads,
                       .freq = 230e9, .kappa0 = 0.0899, .nu_ref = 230e9, .beta = 1.7, .gas_to_dust = 100};
    for (int k = 0; k < 3; k++) rs.centre[k] = 0.5 * (s.r[0][k] + s.r[1][k]);
    double *a = xmalloc(2 * (size_t)n * n * sizeof *a), *b = a + (size_t)n * n;
    printf("# %s at %.1f kyr (separation %.1f AU), %d x %d pixels of %.2f AU, %d thread(s), packets of %d rays\n", preset,
           t / BIN_KYR, s.sep / BIN_AU, n, n, pixel_au, threads, render_packet_width());
    printf("# view  packets [s]  one ray at a time [s]  speed-up  max |difference| / pixel value\n");
    double tp = 0, ts = 0;
    for (int i = 0; i < 8; i++) {
        rs.scalar_rays = 0;
        double t0 = omp_get_wtime();
        render_view(&rs, &p, &s, &v[i], a);
        double dt = omp_get_wtime() - t0;
        tp += dt;
        if (i >= scalar_views) {
            printf("%6d  %11.3f\n", i, dt);
            continue;
        }
        rs.scalar_rays = 1;
        t0 = omp_get_wtime();
        render_view(&rs, &p, &s, &v[i], b);
        double ds = omp_get_wtime() - t0, worst = 0;
        ts += ds;
        for (size_t k = 0; k < (size_t)n * n; k++)
            if (b[k] != 0) worst = fmax(worst, fabs(a[k] - b[k]) / fabs(b[k]));
        printf("%6d  %11.3f  %21.3f  %8.2f  %.1e\n", i, dt, ds, ds / dt, worst);
    }
    printf("mean over the 8 views: %.3f s per image with packets (%.2f core-seconds); one ray at a time %.3f s per image (%d view%s)\n",
           tp / 8, tp / 8 * threads, scalar_views ? ts / scalar_views : 0.0, scalar_views, scalar_views == 1 ? "" : "s");
    free(a);
    binary_free(&p);
    return 0;
}
