/**
 * @file view.c
 * @brief Rotated views by trilinear resampling (see view.h).
 */
#include "rt/view.h"

#include <math.h>
#include <string.h>

void view_identity(double R[9])
{
    static const double I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    memcpy(R, I, sizeof I);
}

void view_rotation_z(double degrees, double R[9])
{
    double a = degrees * (3.14159265358979323846 / 180.0), c = cos(a), s = sin(a);
    /* exact for multiples of 90 degrees, so a quarter turn permutes cells exactly */
    if (fmod(degrees, 90.0) == 0.0) c = round(c), s = round(s);
    double M[9] = {c, -s, 0, s, c, 0, 0, 0, 1};
    memcpy(R, M, sizeof M);
}

void view_random_rotation(rng *r, double R[9])
{
    double q[4], n = 0;
    do {
        n = 0;
        for (int i = 0; i < 4; i++) {
            q[i] = rng_normal(r);
            n += q[i] * q[i];
        }
    } while (n < 1e-12);
    n = 1.0 / sqrt(n);
    double w = q[0] * n, x = q[1] * n, y = q[2] * n, z = q[3] * n;
    double M[9] = {1 - 2 * (y * y + z * z), 2 * (x * y - z * w),     2 * (x * z + y * w),
                   2 * (x * y + z * w),     1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
                   2 * (x * z - y * w),     2 * (y * z + x * w),     1 - 2 * (x * x + y * y)};
    memcpy(R, M, sizeof M);
}

void view_direction(const double R[9], double d[3])
{
    d[0] = R[6], d[1] = R[7], d[2] = R[8];
}

void view_resample(const double R[9], int Gs, const double *vx, const double *vy, const double *vz, const double *T,
                   const double *n, int G, double t_out, double n_out, double *out_vz, double *out_T, double *out_n)
{
    /* the sphere on which trilinear interpolation in the source needs no clamping, whatever the rotation */
    const double cs = 0.5 * Gs, c = 0.5 * G, r2max = (cs - 0.5) * (cs - 0.5);
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++)
            for (int k = 0; k < G; k++) {
                size_t o = ((size_t)i * G + j) * G + k;
                double p[3] = {i + 0.5 - c, j + 0.5 - c, k + 0.5 - c}; /* observer frame, in cells */
                if (p[0] * p[0] + p[1] * p[1] + p[2] * p[2] > r2max) {
                    out_vz[o] = 0.0, out_T[o] = t_out, out_n[o] = n_out;
                    continue;
                }
                double s[3]; /* the same point in the model frame: R^T p, then grid coordinates */
                for (int a = 0; a < 3; a++) s[a] = R[a] * p[0] + R[3 + a] * p[1] + R[6 + a] * p[2] + cs - 0.5;
                int i0[3];
                double f[3];
                for (int a = 0; a < 3; a++) {
                    double x = fmin(fmax(s[a], 0.0), Gs - 1.0);
                    i0[a] = (int)floor(x);
                    if (i0[a] > Gs - 2) i0[a] = Gs - 2;
                    f[a] = x - i0[a];
                }
                double acc[5] = {0};
                for (int corner = 0; corner < 8; corner++) {
                    int di = corner >> 2 & 1, dj = corner >> 1 & 1, dk = corner & 1;
                    double wgt = (di ? f[0] : 1 - f[0]) * (dj ? f[1] : 1 - f[1]) * (dk ? f[2] : 1 - f[2]);
                    if (wgt == 0.0) continue;
                    size_t q = ((size_t)(i0[0] + di) * Gs + (i0[1] + dj)) * Gs + (i0[2] + dk);
                    acc[0] += wgt * vx[q], acc[1] += wgt * vy[q], acc[2] += wgt * vz[q];
                    acc[3] += wgt * T[q], acc[4] += wgt * n[q];
                }
                out_vz[o] = R[6] * acc[0] + R[7] * acc[1] + R[8] * acc[2]; /* the new line of sight */
                out_T[o] = acc[3];
                out_n[o] = acc[4];
            }
}
