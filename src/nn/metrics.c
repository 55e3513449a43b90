/**
 * @file metrics.c
 * @brief MaxRel, ZNCC and SSIM (see metrics.h), in double.
 */
#include "nn/metrics.h"

#include <math.h>
#include <stdlib.h>

#include "core/check.h"

double metric_maxrel_sample(const double *ip, const double *it, int F, int H, int W)
{
    const size_t npix = (size_t)H * W;
    double sum = 0;
    for (size_t j = 0; j < npix; j++) {
        double peak = 0;
        for (int f = 0; f < F; f++) peak = fmax(peak, it[f * npix + j]);
        for (int f = 0; f < F; f++) sum += fabs(it[f * npix + j] - ip[f * npix + j]) / peak;
    }
    return 100.0 * sum / ((double)F * npix);
}

double metric_zncc_image(const float *p, const float *t, int H, int W)
{
    const size_t n = (size_t)H * W;
    double mp = 0, mt = 0;
    for (size_t j = 0; j < n; j++) {
        mp += p[j];
        mt += t[j];
    }
    mp /= (double)n;
    mt /= (double)n;
    double spt = 0, spp = 0, stt = 0;
    for (size_t j = 0; j < n; j++) {
        double a = p[j] - mp, b = t[j] - mt;
        spt += a * b;
        spp += a * a;
        stt += b * b;
    }
    double den = sqrt(spp * stt);
    return den > 0 ? spt / den : 0.0;
}

double metric_zncc(const float *p, const float *t, int n, int F, int H, int W)
{
    const size_t img = (size_t)H * W;
    double total = 0;
    for (int f = 0; f < F; f++) {
        double per = 0;
        for (int b = 0; b < n; b++) per += metric_zncc_image(p + ((size_t)b * F + f) * img, t + ((size_t)b * F + f) * img, H, W);
        total += per / n;
    }
    return total / F;
}

enum { SSIM_RADIUS = 5, SSIM_WIN = 2 * SSIM_RADIUS + 1 };

/* Mirror index without repeating the edge (PyTorch's "reflect"). */
static int reflect(int i, int n)
{
    if (i < 0) return -i;
    if (i >= n) return 2 * (n - 1) - i;
    return i;
}

/* Separable Gaussian filter of a (reflect-padded) H×W image, "valid" over the padding: H×W out. */
static void gauss_filter(const double *a, int H, int W, const double *w, double *tmp, double *out)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double s = 0;
            for (int k = 0; k < SSIM_WIN; k++) s += w[k] * a[(size_t)reflect(y + k - SSIM_RADIUS, H) * W + x];
            tmp[(size_t)y * W + x] = s;
        }
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double s = 0;
            for (int k = 0; k < SSIM_WIN; k++) s += w[k] * tmp[(size_t)y * W + reflect(x + k - SSIM_RADIUS, W)];
            out[(size_t)y * W + x] = s;
        }
}

void metric_ssim_map(const float *p, const float *t, int H, int W, double data_range, double *map)
{
    const double sigma = 1.5;
    double w[SSIM_WIN], norm = 0;
    for (int k = 0; k < SSIM_WIN; k++) norm += w[k] = exp(-(double)(k - SSIM_RADIUS) * (k - SSIM_RADIUS) / (2 * sigma * sigma));
    for (int k = 0; k < SSIM_WIN; k++) w[k] /= norm;
    const size_t n = (size_t)H * W;
    double *buf = xmalloc(11 * n * sizeof *buf);
    double *a[5], *f[5], *tmp = buf + 10 * n;
    for (int q = 0; q < 5; q++) {
        a[q] = buf + q * n;
        f[q] = buf + (5 + q) * n;
    }
    for (size_t j = 0; j < n; j++) {
        a[0][j] = p[j];
        a[1][j] = t[j];
        a[2][j] = (double)p[j] * p[j];
        a[3][j] = (double)t[j] * t[j];
        a[4][j] = (double)p[j] * t[j];
    }
    for (int q = 0; q < 5; q++) gauss_filter(a[q], H, W, w, tmp, f[q]);
    const double c1 = (0.01 * data_range) * (0.01 * data_range), c2 = (0.03 * data_range) * (0.03 * data_range);
    for (size_t j = 0; j < n; j++) {
        double mp = f[0][j], mt = f[1][j];
        double vp = fmax(f[2][j] - mp * mp, 0), vt = fmax(f[3][j] - mt * mt, 0), cpt = f[4][j] - mp * mt;
        map[j] = (2 * mp * mt + c1) * (2 * cpt + c2) / ((mp * mp + mt * mt + c1) * (vp + vt + c2));
    }
    free(buf);
}

double metric_ssim(const float *p, const float *t, int n, int F, int H, int W)
{
    const size_t img = (size_t)H * W;
    double *map = xmalloc(img * sizeof *map), total = 0;
    for (int f = 0; f < F; f++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int b = 0; b < n; b++)
            for (size_t j = 0; j < img; j++) {
                double v = t[((size_t)b * F + f) * img + j];
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            }
        double per = 0;
        for (int b = 0; b < n; b++) {
            size_t o = ((size_t)b * F + f) * img;
            metric_ssim_map(p + o, t + o, H, W, hi - lo, map);
            double s = 0;
            for (size_t j = 0; j < img; j++) s += map[j];
            per += s / (double)img;
        }
        total += per / n;
    }
    free(map);
    return total / F;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double metric_median(double *values, size_t n)
{
    if (n == 0) return NAN;
    qsort(values, n, sizeof *values, cmp_double);
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}
