/**
 * @file log_avx512.h
 * @brief Natural logarithm of 16 positive normal float32 values into 16 doubles (two __m512d), for
 * the statistics' one-pass kernel. Only with AVX-512 (stats/vlog.h has the portable path).
 *
 * x = 2^e · m, m in [1, 2). The top 4 bits of m's fraction pick c_j = 1 + (j + 1/2)/16 from a
 * 16-entry table held in two registers (vpermt2pd, no gather); r = m/c_j − 1 (one FMA with the
 * tabulated 1/c_j, |r| ≤ 0.0304); log1p(r) = r + r²·q(r), q a degree-6 Chebyshev fit (within 4e-17
 * of log1p over the interval, measured in long double); log x = e·ln2 − log(1/c_j) + log1p(r), with
 * ln2 split so that e·ln2_hi is exact. Within 2 ulp of glibc's log (tests/test_vlog.c).
 * Subnormals, zeros, negatives, Inf and NaN are the caller's business (it takes the scalar path).
 */
#ifndef SYNOBS_LOG_AVX512_H
#define SYNOBS_LOG_AVX512_H

#if defined(__AVX512F__) && defined(__AVX512DQ__)
#define SYNOBS_HAVE_LOG16 1
#include <immintrin.h>

static const double log16_inv_c[16] = {
    0x1.f07c1f07c1f08p-1, 0x1.d41d41d41d41dp-1, 0x1.bacf914c1bad0p-1, 0x1.a41a41a41a41ap-1,
    0x1.8f9c18f9c18fap-1, 0x1.7d05f417d05f4p-1, 0x1.6c16c16c16c17p-1, 0x1.5c9882b931057p-1,
    0x1.4e5e0a72f0539p-1, 0x1.4141414141414p-1, 0x1.3521cfb2b78c1p-1, 0x1.29e4129e4129ep-1,
    0x1.1f7047dc11f70p-1, 0x1.15b1e5f75270dp-1, 0x1.0c9714fbcda3bp-1, 0x1.0410410410410p-1};
/* −log(log16_inv_c[j]), correctly rounded (from long double) */
static const double log16_log_c[16] = {
    0x1.f829b0e7832f8p-6, 0x1.6f0d28ae56b4ep-4, 0x1.29552f81ff521p-3, 0x1.9525a9cf456b6p-3,
    0x1.fb9186d5e3e29p-3, 0x1.2e8e2bae11d31p-2, 0x1.5d1bdbf5809cap-2, 0x1.89a3386c1425bp-2,
    0x1.b44f77bcc8f64p-2, 0x1.dd46a04c1c4a1p-2, 0x1.02552a5a5d0ffp-1, 0x1.154c3d2f4d5eap-1,
    0x1.2795e1289b11bp-1, 0x1.393e0d3562a1ap-1, 0x1.4a4f85db03ebbp-1, 0x1.5ad404c359f2dp-1};

/* log of 8 values: exponent e, table index j (as 64-bit lanes) and mantissa m, all from the bits */
static inline __m512d log8_parts(__m512d m, __m512d e, __m512i j)
{
    const __m512d ic = _mm512_permutex2var_pd(_mm512_loadu_pd(log16_inv_c), j, _mm512_loadu_pd(log16_inv_c + 8));
    const __m512d lc = _mm512_permutex2var_pd(_mm512_loadu_pd(log16_log_c), j, _mm512_loadu_pd(log16_log_c + 8));
    const __m512d r = _mm512_fmadd_pd(m, ic, _mm512_set1_pd(-1.0));
    __m512d q = _mm512_set1_pd(-0x1.00611eb8fa4e3p-3);
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(0x1.24f096e731cecp-3));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(-0x1.555546f528e22p-3));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(0x1.99998e70e935bp-3));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(-0x1.0000000056fe1p-2));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(0x1.555555557f94cp-2));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(-0x1.ffffffffffff5p-2));
    const __m512d p = _mm512_fmadd_pd(_mm512_mul_pd(r, r), q, r);            /* log1p(r) */
    const __m512d hi = _mm512_fmadd_pd(e, _mm512_set1_pd(0x1.62e42feep-1), lc); /* e·ln2_hi exact */
    return _mm512_add_pd(hi, _mm512_fmadd_pd(e, _mm512_set1_pd(0x1.a39ef35793c76p-33), p));
}

/** log of the 16 floats whose bits are u, as doubles: lanes 0-7 in *lo, 8-15 in *hi. */
static inline void log16_f32(__m512i u, __m512d *lo, __m512d *hi)
{
    const __m512i e = _mm512_sub_epi32(_mm512_srli_epi32(u, 23), _mm512_set1_epi32(127));
    const __m512i j = _mm512_and_si512(_mm512_srli_epi32(u, 19), _mm512_set1_epi32(15));
    const __m512i mb = _mm512_or_si512(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffff)), _mm512_set1_epi32(0x3f800000));
    const __m512 m = _mm512_castsi512_ps(mb);
    *lo = log8_parts(_mm512_cvtps_pd(_mm512_castps512_ps256(m)), _mm512_cvtepi32_pd(_mm512_castsi512_si256(e)),
                     _mm512_cvtepu32_epi64(_mm512_castsi512_si256(j)));
    *hi = log8_parts(_mm512_cvtps_pd(_mm256_castsi256_ps(_mm512_extracti64x4_epi64(mb, 1))),
                     _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(e, 1)),
                     _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(j, 1)));
}
#endif

#endif
