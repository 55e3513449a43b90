/* Not built with -ffast-math: the AVX-512 path's split of ln 2 and its NaN/Inf screening must stay
 * as written. Without AVX-512, the work goes to libmvec (vlog_libmvec.c, built with -ffast-math). */
#include "stats/vlog.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "stats/log_avx512.h"

void vlog_f32_to_f64(const float *restrict x, double *restrict y, size_t n)
{
    size_t i = 0;
#ifdef SYNOBS_HAVE_LOG16
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        /* positive normal and finite in every lane, else libm for this group */
        __mmask16 ok = _mm512_cmp_ps_mask(v, _mm512_set1_ps(FLT_MIN), _CMP_GE_OQ) &
                       _mm512_cmp_ps_mask(v, _mm512_set1_ps(FLT_MAX), _CMP_LE_OQ);
        if (ok != 0xffff) {
            for (int l = 0; l < 16; l++) y[i + l] = log((double)x[i + l]);
            continue;
        }
        __m512d lo, hi;
        log16_f32(_mm512_castps_si512(v), &lo, &hi);
        _mm512_storeu_pd(y + i, lo);
        _mm512_storeu_pd(y + i + 8, hi);
    }
#endif
    vlog_libmvec_f32_to_f64(x + i, y + i, n - i);
}
