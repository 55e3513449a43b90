/* Built with -ffast-math -fopenmp-simd (see CMakeLists.txt) so that GCC calls libmvec's vector
 * log. Nothing here is a reduction, so fast-math reorders no sum. */
#include "stats/vlog.h"

#include <math.h>

void vlog_f32_to_f64(const float *restrict x, double *restrict y, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) y[i] = log((double)x[i]);
}

/* Its plain twin, vlog_f32_to_f64_reference, is in scan.c: this file is built with -ffast-math. */
