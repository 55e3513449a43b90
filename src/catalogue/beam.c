#include "catalogue/beam.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"

#define BEAM_PI 3.14159265358979323846
#define FWHM_TO_SIGMA 0.42466090014400953 /* 1 / (2 sqrt(2 ln 2)) */

double beam_area_pixels(const beam *b) { return BEAM_PI / (4.0 * log(2.0)) * b->fwhm_major * b->fwhm_minor; }

/* The beam's value at an offset of dr rows (down) and dc columns (right = west), unnormalised. */
static double kernel(const beam *b, double dr, double dc)
{
    double north = -dr, east = -dc, sa = FWHM_TO_SIGMA * b->fwhm_major, sb = FWHM_TO_SIGMA * b->fwhm_minor;
    double a = north * cos(b->pa) + east * sin(b->pa), c = -north * sin(b->pa) + east * cos(b->pa);
    return exp(-0.5 * (a * a / (sa * sa) + c * c / (sb * sb)));
}

/* half-width of the kernel in pixels: 5 sigma of the major axis (exp(-12.5) = 4e-6 of the peak) */
static int half_width(const beam *b) { return (int)ceil(5.0 * FWHM_TO_SIGMA * b->fwhm_major) + 1; }

static double kernel_sum(const beam *b, int K)
{
    double s = 0.0;
    for (int i = -K; i <= K; i++)
        for (int j = -K; j <= K; j++) s += kernel(b, i, j);
    return s;
}

void beam_convolve_reference(const beam *b, int H, int W, double *img)
{
    if (b->fwhm_major <= 0) return;
    int K = half_width(b);
    double norm = beam_area_pixels(b) / kernel_sum(b, K), *out = xcalloc((size_t)H * W, sizeof *out);
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++) {
            double s = 0.0;
            for (int i = -K; i <= K; i++)
                for (int j = -K; j <= K; j++) {
                    int rr = r - i, cc = c - j;
                    if (rr >= 0 && rr < H && cc >= 0 && cc < W) s += kernel(b, i, j) * img[(size_t)rr * W + cc];
                }
            out[(size_t)r * W + c] = s * norm;
        }
    memcpy(img, out, (size_t)H * W * sizeof *img);
    free(out);
}

void beam_convolve(const beam *b, int H, int W, double *img)
{
    if (b->fwhm_major <= 0) return;
    int K = half_width(b), PH = H + K, PW = W + K, CW = PW / 2 + 1; /* K of zeros: no wrap-around */
    double *a = fftw_malloc(sizeof(double) * PH * PW), *k = fftw_malloc(sizeof(double) * PH * PW);
    fftw_complex *A = fftw_malloc(sizeof(fftw_complex) * PH * CW), *KF = fftw_malloc(sizeof(fftw_complex) * PH * CW);
    if (!a || !k || !A || !KF) alloc_fail(sizeof(double) * 4 * PH * PW, __FILE__, __LINE__, "beam convolution");
    fftw_plan fa = fftw_plan_dft_r2c_2d(PH, PW, a, A, FFTW_ESTIMATE), fk = fftw_plan_dft_r2c_2d(PH, PW, k, KF, FFTW_ESTIMATE);
    fftw_plan back = fftw_plan_dft_c2r_2d(PH, PW, A, a, FFTW_ESTIMATE);
    memset(a, 0, sizeof(double) * PH * PW);
    memset(k, 0, sizeof(double) * PH * PW);
    for (int r = 0; r < H; r++) memcpy(a + (size_t)r * PW, img + (size_t)r * W, W * sizeof *img);
    for (int i = -K; i <= K; i++)
        for (int j = -K; j <= K; j++) k[(size_t)((i + PH) % PH) * PW + (j + PW) % PW] = kernel(b, i, j);
    fftw_execute(fa);
    fftw_execute(fk);
    double norm = beam_area_pixels(b) / kernel_sum(b, K) / ((double)PH * PW);
    for (size_t i = 0; i < (size_t)PH * CW; i++) {
        double re = A[i][0] * KF[i][0] - A[i][1] * KF[i][1], im = A[i][0] * KF[i][1] + A[i][1] * KF[i][0];
        A[i][0] = re * norm, A[i][1] = im * norm;
    }
    fftw_execute(back);
    for (int r = 0; r < H; r++) memcpy(img + (size_t)r * W, a + (size_t)r * PW, W * sizeof *img);
    fftw_destroy_plan(fa), fftw_destroy_plan(fk), fftw_destroy_plan(back);
    fftw_free(a), fftw_free(k), fftw_free(A), fftw_free(KF);
}
