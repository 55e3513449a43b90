/**
 * @file rt_solver.h
 * @brief The line RT solver on a GPU: the arithmetic of rt_column_reference (src/rt/solver.c), in
 * double, one thread per grid point for the per-point pass and one thread per (pixel column,
 * channel) for the optical depth and the formal solution along z. Line mode only.
 */
#ifndef SYNOBS_CUDA_RT_SOLVER_H
#define SYNOBS_CUDA_RT_SOLVER_H

#ifdef __cplusplus
extern "C" {
#endif

#include "rt/solver.h"

/**
 * @brief Image of the whole model (as rt_image: inputs (nx, ny, nz), z fastest; I (nx, ny, nfreq))
 * on the current GPU. *seconds (may be NULL) gets the time of transfers and kernels.
 * @return 0, or -1 with error_set (dust mode, a CUDA error, no GPU).
 */
int cuda_rt_image(const rt_setup *s, int nx, int ny, int nz, const double *vz, const double *T, const double *n,
                  double *I, double *seconds);

#ifdef __cplusplus
}
#endif

#endif
