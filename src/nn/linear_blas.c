/**
 * @file linear_blas.c
 * @brief The fully connected layer on OpenBLAS (see the header).
 *
 * OpenBLAS runs single-threaded here and each OpenMP thread multiplies its own slice of the output
 * features (or, for dx, of the input features): one threading runtime for the whole backend.
 * Debian's OpenBLAS is built on pthreads, whose workers spin after each call and then fought
 * oneDNN's OpenMP threads over the two cores of the test machines (convolutions after a threaded
 * sgemm ran up to 2x slower). No sum is split across threads, so the result does not depend on
 * the thread count.
 */
#include <cblas.h>
#include <omp.h>
#include <string.h>

#include "nn/linear_blas.h"

/* Thread t's share [*lo, *hi) of n columns, in multiples of 16 (whole vector registers). */
static void share(int n, int t, int nt, int *lo, int *hi)
{
    int blocks = (n + 15) / 16;
    *lo = (int)((long)blocks * t / nt) * 16;
    *hi = (int)((long)blocks * (t + 1) / nt) * 16;
    if (*hi > n) *hi = n;
    if (*lo > n) *lo = n;
}

void nn_blas_linear_forward(int batch, int in, int out, const float *x, const float *w, const float *b, float *y)
{
#pragma omp parallel
    {
        int lo, hi;
        share(out, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);
        if (hi > lo) {
            for (int i = 0; i < batch; i++) memcpy(y + (size_t)i * out + lo, b + lo, (size_t)(hi - lo) * sizeof *y);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, hi - lo, in, 1.0f, x, in, w + (size_t)lo * in,
                        in, 1.0f, y + lo, out);
        }
    }
}

void nn_blas_linear_backward(int batch, int in, int out, const float *x, const float *w, const float *dy, float *dx,
                             float *dw, float *db)
{
#pragma omp parallel
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads(), lo, hi;
        share(out, t, nt, &lo, &hi);
        if (hi > lo)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, hi - lo, in, batch, 1.0f, dy + lo, out, x, in, 0.0f,
                        dw + (size_t)lo * in, in);
        for (int o = lo; o < hi; o++) {
            double s = 0;
            for (int i = 0; i < batch; i++) s += dy[(size_t)i * out + o];
            db[o] = (float)s;
        }
        if (dx) {
            share(in, t, nt, &lo, &hi);
            if (hi > lo)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, hi - lo, out, 1.0f, dy, out, w + lo, in,
                            0.0f, dx + lo, in);
        }
    }
}

void nn_blas_single_threaded(void)
{
    openblas_set_num_threads(1);
}
