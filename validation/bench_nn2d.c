/**
 * @file bench_nn2d.c
 * @brief MobileNetV2 (nsfwjs weights) to out_relu at 224x224, or InceptionV3 to a tap at 299x299,
 * on synobs' oneDNN backend: images/s.
 * usage: bench_nn2d WEIGHTS.h5 [BATCH [ITERS [MODEL [TAP]]]]   (threads from OMP_NUM_THREADS)
 * MODEL mobilenet_v2 (default; tap out_relu) or inception_v3 (tap mixed5 by default).
 * Prints `synobs MODEL TAP batch B ... images_per_s R`; the comparison with PyTorch (MobileNetV2)
 * is validation/bench_nn2d.py.
 *
 * The weights are read by io/keras_h5.c (kh5_read), as `synobs features` reads them.
 */
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/check.h"
#include "core/log.h"
#include "io/keras_h5.h"
#include "nn/cnn2d.h"
#include "nn/cnn2d_inception.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    log_init(0, 1, true);
    if (argc < 2) {
        fprintf(stderr, "usage: bench_nn2d WEIGHTS.h5 [BATCH [ITERS [mobilenet_v2|inception_v3 [TAP]]]]\n");
        return 2;
    }
    int B = argc > 2 ? atoi(argv[2]) : 32, iters = argc > 3 ? atoi(argv[3]) : 5;
    const char *model = argc > 4 ? argv[4] : "mobilenet_v2";
    bool incep = !strcmp(model, "inception_v3");
    const char *tap = argc > 5 ? argv[5] : incep ? "mixed5" : "out_relu";
    int side = incep ? 299 : 224;
    kh5_weights w = {0};
    if (kh5_read(argv[1], &w) != 0) { fprintf(stderr, "%s\n", error_message()); exit(1); }
    double t0 = now();
    cnn2d_model *m = incep ? cnn2d_inception_v3(&w, side, side, tap, CNN2D_BACKEND_DNNL)
                           : cnn2d_mobilenet_v2(&w, side, side, tap, CNN2D_BACKEND_DNNL);
    if (!m) {
        fprintf(stderr, "bench_nn2d: %s\n", error_message());
        return 2;
    }
    cnn2d_set_batch(m, B);
    double t_build = now() - t0;
    int th, tw, tc;
    cnn2d_tap_shape(m, &th, &tw, &tc);
    size_t nx = (size_t)B * side * side * 3, ny = (size_t)B * th * tw * tc;
    float *x = xmalloc(nx * sizeof *x), *y = xmalloc(ny * sizeof *y);
    for (size_t i = 0; i < nx; i++) x[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;
    cnn2d_forward(m, B, x, y); /* warm-up */
    double best = 1e30, sum = 0;
    for (int it = 0; it < iters; it++) {
        double t = now();
        cnn2d_forward(m, B, x, y);
        t = now() - t;
        sum += t;
        if (t < best) best = t;
    }
    printf("synobs %s %s %dx%d batch %d build_s %.3f s_per_batch_best %.4f s_per_batch_mean %.4f "
           "images_per_s %.1f\n", model, tap, side, side, B, t_build, best, sum / iters, B / best);
    free(x), free(y);
    cnn2d_free(m);
    kh5_free(&w);
    MPI_Finalize();
    return 0;
}
