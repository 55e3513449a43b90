/**
 * @file rt_solver.cu
 * @brief The line RT solver on a GPU (see rt_solver.h). The per-point pass writes its quantities
 * point-major ([z][column]) so that the channel threads, consecutive in the column, read coalesced.
 * The step formulas are src/rt/formal.h's, shared with the CPU solvers; only exp and erf are CUDA's
 * (<= 1 and 2 ulp) instead of glibc's.
 */
#include "cuda/rt_solver.h"

#include <cuda_runtime.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "core/check.h"
#include "rt/constants.h"
#include "rt/line.h"
}

/* One failure source, one check: a CUDA call that fails ends the image with its message. */
#define CUDA_TRY(call)                                                                              \
    do {                                                                                            \
        cudaError_t e_ = (call);                                                                    \
        if (e_ != cudaSuccess) {                                                                    \
            rc = error_set("CUDA: %s: %s", #call, cudaGetErrorString(e_));                          \
            goto done;                                                                              \
        }                                                                                           \
    } while (0)

struct line_consts {
    int nlev, up, lo;
    double A, Bul, Blu, mass, h_nu_4pi, nu0, dx, v_turb;
};

/* Per-point pass (rt_line_point): p = k * ncol + c for point k of column c. */
__global__ void rt_points(line_consts L, const double *energy, const double *weight, int ncol, int nz, const double *vz,
                          const double *T, const double *n, const double *vt, double *S, double *adx, double *width,
                          double *vc)
{
    long p = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= (long)ncol * nz) return;
    long k = p / ncol, c = p % ncol, h = c * nz + k; /* h: the host layout, z fastest */
    double t = T[h], beta = 1.0 / (RT_KB * t), z = 0.0;
    for (int l = 0; l < L.nlev; l++) z += weight[l] * exp(-energy[l] * beta);
    double pu = weight[L.up] * exp(-energy[L.up] * beta) / z, pl = weight[L.lo] * exp(-energy[L.lo] * beta) / z;
    double eta = L.h_nu_4pi * L.A * pu, chi = L.h_nu_4pi * (L.Blu * pl - L.Bul * pu), v = vt ? vt[h] : L.v_turb;
    double w = L.nu0 / RT_C * sqrt(2.0 * RT_KB * t / L.mass + v * v);
    S[p] = eta / chi;
    width[p] = w;
    adx[p] = chi * n[h] / (RT_SQRT_PI * w) * L.dx;
    vc[p] = vz[h] / RT_C;
}

/* One thread per (column, channel): spec 8 and 9 along z, sums in the reference's order. */
__global__ void rt_channels(int ncol, int nz, int nfreq, double nu0, const double *freq, const double *ibdy,
                            const double *S, const double *adx, const double *width, const double *vc, double *I)
{
    long t = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (long)ncol * nfreq) return;
    int f = (int)(t / ncol);
    long c = t % ncol;
    const double nu = freq[f], off = nu - nu0;
    double b0 = (off + nu * vc[c]) / width[c], G0 = exp(-b0 * b0), R0 = erf(b0), a0 = adx[c], S0 = S[c];
    double tau = 0.0, e0 = 1.0, sum = 0.0;
    for (int k = 1; k < nz; k++) {
        long p = (long)k * ncol + c;
        double b1 = (off + nu * vc[p]) / width[p], G1 = exp(-b1 * b1), R1 = erf(b1), a1 = adx[p], S1 = S[p];
        double dt = rt_line_dtau(a0, a1, b0, b1, G0, G1, R0, R1), tau1 = tau + dt, e1 = exp(-tau1);
        sum += rt_formal_step(dt, S0, S1, e0, e1);
        tau = tau1, e0 = e1, b0 = b1, G0 = G1, R0 = R1, a0 = a1, S0 = S1;
    }
    I[c * nfreq + f] = sum + ibdy[f] * e0;
}

extern "C" int cuda_rt_image(const rt_setup *s, int nx, int ny, int nz, const double *vz, const double *T,
                             const double *n, double *I, double *seconds)
{
    if (s->mode != RT_MODE_LINE) return error_set("the CUDA solver images lines only (mode = line)");
    const rt_line *ln = s->line;
    long ncol = (long)nx * ny, np = ncol * nz;
    size_t bytes = (size_t)np * sizeof(double);
    int rc = 0, nf = s->nfreq, nlev = ln->nlev;
    double *d = NULL, *ibdy = (double *)xmalloc((size_t)nf * sizeof(double));
    cudaEvent_t t0 = NULL, t1 = NULL;
    rt_boundary_intensity(s, ibdy);
    line_consts L = {nlev, ln->up, ln->lo, ln->A, ln->Bul, ln->Blu, ln->mass, ln->h_nu_4pi, ln->nu0, s->dx, s->v_turb};
    /* one allocation: vz T n vt | S adx width vc | levels | freq ibdy | I */
    size_t total = 8 * bytes + 2 * (size_t)nlev * sizeof(double) + 2 * (size_t)nf * sizeof(double) +
                   (size_t)ncol * nf * sizeof(double);
    CUDA_TRY(cudaEventCreate(&t0));
    CUDA_TRY(cudaEventCreate(&t1));
    CUDA_TRY(cudaEventRecord(t0));
    CUDA_TRY(cudaMalloc(&d, total));
    {
        double *dvz = d, *dT = dvz + np, *dn = dT + np, *dvt = dn + np, *dS = dvt + np, *dadx = dS + np,
               *dw = dadx + np, *dvc = dw + np, *de = dvc + np, *dg = de + nlev, *dfreq = dg + nlev,
               *dib = dfreq + nf, *dI = dib + nf;
        CUDA_TRY(cudaMemcpy(dvz, vz, bytes, cudaMemcpyHostToDevice));
        CUDA_TRY(cudaMemcpy(dT, T, bytes, cudaMemcpyHostToDevice));
        CUDA_TRY(cudaMemcpy(dn, n, bytes, cudaMemcpyHostToDevice));
        if (s->v_turb_field) CUDA_TRY(cudaMemcpy(dvt, s->v_turb_field, bytes, cudaMemcpyHostToDevice));
        CUDA_TRY(cudaMemcpy(de, ln->energy, (size_t)nlev * sizeof(double), cudaMemcpyHostToDevice));
        CUDA_TRY(cudaMemcpy(dg, ln->weight, (size_t)nlev * sizeof(double), cudaMemcpyHostToDevice));
        CUDA_TRY(cudaMemcpy(dfreq, s->freq, (size_t)nf * sizeof(double), cudaMemcpyHostToDevice));
        CUDA_TRY(cudaMemcpy(dib, ibdy, (size_t)nf * sizeof(double), cudaMemcpyHostToDevice));
        const int block = 128;
        rt_points<<<(unsigned)((np + block - 1) / block), block>>>(L, de, dg, (int)ncol, nz, dvz, dT, dn,
                                                                   s->v_turb_field ? dvt : NULL, dS, dadx, dw, dvc);
        CUDA_TRY(cudaGetLastError());
        rt_channels<<<(unsigned)((ncol * nf + block - 1) / block), block>>>((int)ncol, nz, nf, ln->nu0, dfreq, dib, dS,
                                                                            dadx, dw, dvc, dI);
        CUDA_TRY(cudaGetLastError());
        CUDA_TRY(cudaMemcpy(I, dI, (size_t)ncol * nf * sizeof(double), cudaMemcpyDeviceToHost));
    }
    CUDA_TRY(cudaEventRecord(t1));
    CUDA_TRY(cudaEventSynchronize(t1));
    if (seconds) {
        float ms = 0;
        CUDA_TRY(cudaEventElapsedTime(&ms, t0, t1));
        *seconds = ms * 1e-3;
    }
done:
    if (d) cudaFree(d);
    if (t0) cudaEventDestroy(t0);
    if (t1) cudaEventDestroy(t1);
    free(ibdy);
    return rc;
}
