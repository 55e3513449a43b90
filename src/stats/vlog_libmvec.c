/* Built with -ffast-math -fopenmp-simd (see CMakeLists.txt) so that GCC calls glibc's libmvec vector
 * log: the path of machines without AVX-512. Nothing here is a reduction, so fast-math reorders no sum. */
#include <math.h>

#include "stats/vlog.h"

void vlog_libmvec_f32_to_f64(const float *restrict x, double *restrict y, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) y[i] = log((double)x[i]);
}
