/**
 * @file loss.c
 * @brief MSE + frequency loss on FFTW (see loss.h).
 *
 * By linearity F(t) − F(p) = F(t − p), so one real-to-complex transform per image suffices. The
 * half spectrum of a real image holds every coefficient once except the mirrored columns, so the
 * sum of moduli over the full spectrum weights columns 0 < v < W/2 twice. The gradient of the
 * frequency term is −(1/K)·Re(IDFT(D/|D|)) (0 where D = 0, as PyTorch), and D/|D| is Hermitian
 * like D, so the complex-to-real inverse transform gives it directly.
 */
#include "nn/loss.h"

#include <fftw3.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "core/check.h"

void nn_loss_init(nn_loss *l, int images, int h, int w, double lambda)
{
    memset(l, 0, sizeof *l);
    l->images = images;
    l->h = h;
    l->w = w;
    l->lambda = lambda;
    size_t npix = (size_t)h * w, nspec = (size_t)h * (w / 2 + 1);
    l->real = fftwf_alloc_real(images * npix);
    l->spectrum = fftwf_alloc_complex(images * nspec);
    ALLOC_CHECK(l->real, images * npix);
    ALLOC_CHECK(l->spectrum, images * nspec);
    int n[2] = {h, w};
    fftwf_plan f = fftwf_plan_many_dft_r2c(2, n, images, l->real, NULL, 1, (int)npix, l->spectrum, NULL, 1,
                                           (int)nspec, FFTW_ESTIMATE);
    FFTW_CHECK(f);
    fftwf_plan b = fftwf_plan_many_dft_c2r(2, n, images, l->spectrum, NULL, 1, (int)nspec, l->real, NULL, 1,
                                           (int)npix, FFTW_ESTIMATE);
    FFTW_CHECK(b);
    l->forward = f;
    l->inverse = b;
}

void nn_loss_free(nn_loss *l)
{
    if (l->forward) fftwf_destroy_plan(l->forward);
    if (l->inverse) fftwf_destroy_plan(l->inverse);
    fftwf_free(l->real);
    fftwf_free(l->spectrum);
    memset(l, 0, sizeof *l);
}

nn_loss_value nn_loss_eval(nn_loss *l, const float *p, const float *t, float *grad)
{
    const size_t npix = (size_t)l->h * l->w, half = (size_t)l->w / 2 + 1, n = (size_t)l->images * npix;
    const double K = (double)n;
    double sq = 0, mod = 0;
    for (size_t i = 0; i < n; i++) {
        float d = t[i] - p[i];
        l->real[i] = d;
        sq += (double)d * d;
    }
    fftwf_execute(l->forward);
    fftwf_complex *D = l->spectrum;
    for (int img = 0; img < l->images; img++)
        for (int u = 0; u < l->h; u++)
            for (size_t v = 0; v < half; v++) {
                size_t j = ((size_t)img * l->h + u) * half + v;
                double a = hypot((double)D[j][0], (double)D[j][1]);
                bool mirrored = v > 0 && !(l->w % 2 == 0 && v == (size_t)l->w / 2);
                mod += (mirrored ? 2.0 : 1.0) * a;
                /* s = D/|D| for the gradient, in place */
                D[j][0] = a > 0 ? (float)(D[j][0] / a) : 0.0f;
                D[j][1] = a > 0 ? (float)(D[j][1] / a) : 0.0f;
            }
    nn_loss_value v = {0, sq / K, mod / K};
    v.total = l->lambda * v.mse + (1.0 - l->lambda) * v.freq;
    if (grad) {
        fftwf_execute(l->inverse);   /* real = Re(unnormalised IDFT(s)) */
        const double a = 2.0 * l->lambda / K, b = (1.0 - l->lambda) / K;
        for (size_t i = 0; i < n; i++) grad[i] = (float)(a * ((double)p[i] - t[i]) - b * l->real[i]);
    }
    return v;
}
