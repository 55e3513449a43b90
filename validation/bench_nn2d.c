/**
 * @file bench_nn2d.c
 * @brief MobileNetV2 (nsfwjs weights) to out_relu at 224x224, or InceptionV3 to a tap at 299x299,
 * on synobs' oneDNN backend: images/s.
 * usage: bench_nn2d WEIGHTS.h5 [BATCH [ITERS [MODEL [TAP]]]]   (threads from OMP_NUM_THREADS)
 * MODEL mobilenet_v2 (default; tap out_relu) or inception_v3 (tap mixed5 by default).
 * Prints `synobs MODEL TAP batch B ... images_per_s R`; the comparison with PyTorch (MobileNetV2)
 * is validation/bench_nn2d.py.
 *
 * TEMPORARY: the weights are read by the minimal reader of tests/test_mobilenet_v2.c until
 * io/keras_h5.c (kh5_read) lands.
 */
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/check.h"
#include "core/log.h"
#include "nn/cnn2d.h"
#include "nn/cnn2d_inception.h"

/* A fixed-length string array attribute: count strings of size *len into a new buffer. */
static char *read_strings(hid_t loc, const char *name, int *count, size_t *len)
{
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), t = H5Aget_type(a), s = H5Aget_space(a);
    *count = (int)H5Sget_simple_extent_npoints(s);
    *len = H5Tget_size(t);
    char *buf = xcalloc((size_t)*count * *len + 1, 1);
    H5_CHECK(H5Aread(a, t, buf));
    H5Sclose(s);
    H5Tclose(t);
    H5Aclose(a);
    return buf;
}

static void read_weights(const char *path, kh5_weights *w)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        fprintf(stderr, "bench_nn2d: cannot open %s\n", path);
        exit(2);
    }
    int nl;
    size_t ll;
    char *ln = read_strings(f, "layer_names", &nl, &ll);
    w->layers = xcalloc((size_t)nl, sizeof *w->layers);
    w->nlayers = 0;
    for (int i = 0; i < nl; i++) {
        char lname[161] = "";
        memcpy(lname, ln + (size_t)i * ll, ll < 160 ? ll : 160);
        hid_t g = H5Gopen2(f, lname, H5P_DEFAULT);
        int nt;
        size_t tl;
        char *wn = read_strings(g, "weight_names", &nt, &tl);
        if (nt > 0 && tl > 0) {
            kh5_layer *L = &w->layers[w->nlayers++];
            snprintf(L->name, sizeof L->name, "%s", lname);
            L->ntensors = nt;
            L->t = xcalloc((size_t)nt, sizeof *L->t);
            for (int k = 0; k < nt; k++) {
                kh5_tensor *T = &L->t[k];
                memcpy(T->name, wn + (size_t)k * tl, tl < 159 ? tl : 159);
                hid_t d = H5Dopen2(g, T->name, H5P_DEFAULT), s = H5Dget_space(d);
                hsize_t dims[4] = {0};
                T->ndim = H5Sget_simple_extent_dims(s, dims, NULL);
                size_t n = 1;
                for (int a = 0; a < T->ndim; a++) T->shape[a] = (int64_t)dims[a], n *= dims[a];
                T->data = xmalloc(n * sizeof(float));
                H5_CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, T->data));
                H5Sclose(s);
                H5Dclose(d);
            }
        }
        free(wn);
        H5Gclose(g);
    }
    free(ln);
    H5Fclose(f);
}

static void free_weights(kh5_weights *w)
{
    for (int i = 0; i < w->nlayers; i++) {
        for (int k = 0; k < w->layers[i].ntensors; k++) free(w->layers[i].t[k].data);
        free(w->layers[i].t);
    }
    free(w->layers);
}

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
    read_weights(argv[1], &w);
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
    free_weights(&w);
    MPI_Finalize();
    return 0;
}
