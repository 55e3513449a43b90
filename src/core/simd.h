/**
 * @file simd.h
 * @brief Double-precision vectors of SIMD_W lanes (8 with AVX-512, 4 with AVX2, 0 without SLEEF or a
 * vector unit: then the callers use their scalar paths) and the special functions the vectorised
 * kernels need: an inlined exp within 1 ulp (AVX-512) and SLEEF's 1-ulp log, erf, expm1, atan2.
 * Shared by the RT solver (rt/solver_fast.c) and the catalogue's ray packets
 * (catalogue/render_packet.c).
 */
#ifndef SYNOBS_CORE_SIMD_H
#define SYNOBS_CORE_SIMD_H

#if defined(SYNOBS_HAVE_SLEEF) && defined(__AVX512F__)
#define SIMD_W 8
#elif defined(SYNOBS_HAVE_SLEEF) && defined(__AVX2__) && defined(__FMA__)
#define SIMD_W 4
#else
#define SIMD_W 0
#endif

#if SIMD_W > 0
#include <string.h>

#include <immintrin.h>
#include <sleef.h>

typedef double vd __attribute__((vector_size(8 * SIMD_W)));
typedef long long vl __attribute__((vector_size(8 * SIMD_W)));

#if SIMD_W == 8
/* exp inlined for the hot loops: a call to SLEEF's makes the compiler spill and reload every
 * vector register around it (the SysV ABI keeps none across calls), which the profile showed as
 * most of the loop's time. x = n ln2 + r with Cody-Waite's two-part ln2 (n ln2_hi exact for
 * |n| < 2^20), |r| <= ln2/2; exp(r) by its Taylor polynomial of degree 13 (truncation
 * |r|^14/14! < 5e-18 relative) with fused multiply-adds (below); p 2^n by scalef, which
 * rounds once into the subnormals and to 0 below them. Error against glibc's (correctly rounded
 * in practice) exp: at most 1 ulp, measured by test_fast_exp on 2e6 arguments in [-760, 1]. */
static inline vd vexp(vd x)
{
    const __m512d X = (__m512d)x;
    const __m512d n = _mm512_roundscale_pd(_mm512_mul_pd(X, _mm512_set1_pd(0x1.71547652b82fep0)),
                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(0x1.62e42feep-1), X); /* ln2_hi = 0x3fe62e42fee00000 */
    r = _mm512_fnmadd_pd(n, _mm512_set1_pd(0x1.a39ef35793c76p-33), r);  /* ln2_lo */
    /* exp(r) = 1 + r + r^2/2 + r^3/6 + r^4 hi(r): hi (the terms to r^13/13!) by Estrin's scheme,
     * the four leading terms by Horner. The latency falls from 13 dependent FMAs to 8, and the
     * result stays within 1 ulp of glibc's exp (test_fast_exp; all-Horner: the same, all-Estrin:
     * 2 ulp) */
    const __m512d r2 = _mm512_mul_pd(r, r), r4 = _mm512_mul_pd(r2, r2);
    const __m512d q0 = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 120), r, _mm512_set1_pd(1.0 / 24));
    const __m512d q1 = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 5040), r, _mm512_set1_pd(1.0 / 720));
    const __m512d q2 = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 362880), r, _mm512_set1_pd(1.0 / 40320));
    const __m512d q3 = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 39916800), r, _mm512_set1_pd(1.0 / 3628800));
    const __m512d q4 = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 6227020800.0), r, _mm512_set1_pd(1.0 / 479001600));
    const __m512d s0 = _mm512_fmadd_pd(q1, r2, q0), s1 = _mm512_fmadd_pd(q3, r2, q2);
    __m512d p = _mm512_fmadd_pd(_mm512_fmadd_pd(q4, r4, s1), r4, s0);
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 6));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(0.5));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0));
    return (vd)_mm512_scalef_pd(p, n);
}
static inline vd vlog(vd x) { return (vd)Sleef_logd8_u10avx512f((__m512d)x); }
static inline vd vatan2(vd y, vd x) { return (vd)Sleef_atan2d8_u10avx512f((__m512d)y, (__m512d)x); }
static inline vd verf(vd x) { return (vd)Sleef_erfd8_u10avx512f((__m512d)x); }
static inline vd vexpm1(vd x) { return (vd)Sleef_expm1d8_u10avx512f((__m512d)x); }
static inline vd vsqrt(vd x) { return (vd)_mm512_sqrt_pd((__m512d)x); }
#else
static inline vd vexp(vd x) { return (vd)Sleef_expd4_u10avx2((__m256d)x); }
static inline vd vlog(vd x) { return (vd)Sleef_logd4_u10avx2((__m256d)x); }
static inline vd vatan2(vd y, vd x) { return (vd)Sleef_atan2d4_u10avx2((__m256d)y, (__m256d)x); }
static inline vd verf(vd x) { return (vd)Sleef_erfd4_u10avx2((__m256d)x); }
static inline vd vexpm1(vd x) { return (vd)Sleef_expm1d4_u10avx2((__m256d)x); }
static inline vd vsqrt(vd x) { return (vd)_mm256_sqrt_pd((__m256d)x); }
#endif

static inline vd vload(const double *p)
{
    vd v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void vstore(double *p, vd v) { memcpy(p, &v, sizeof v); }
static inline vd vsplat(double x) { return (vd){0} + x; }
/** m ? a : b per lane (m from a vector comparison: all ones or all zeros). */
static inline vd vblend(vl m, vd a, vd b) { return (vd)(((vl)a & m) | ((vl)b & ~m)); }
static inline vd vabs(vd x) { return (vd)((vl)x & ((vl){0} + 0x7fffffffffffffffLL)); }
/* all / any lane of a comparison mask, through the vector unit's mask registers (a loop over the
 * lanes costs a lane extraction each: it showed in the profile) */
#if SIMD_W == 8
static inline int vall(vl m) { return _mm512_movepi64_mask((__m512i)m) == 0xff; }
static inline int vany(vl m) { return _mm512_movepi64_mask((__m512i)m) != 0; }
#else
static inline int vall(vl m) { return _mm256_movemask_pd((__m256d)m) == 0xf; }
static inline int vany(vl m) { return _mm256_movemask_pd((__m256d)m) != 0; }
#endif

/** Rounded to the nearest integer, ties to even (as nearbyint in the default rounding mode). */
#if SIMD_W == 8
static inline vd vround(vd x) { return (vd)_mm512_roundscale_pd((__m512d)x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
#else
static inline vd vround(vd x) { return (vd)_mm256_round_pd((__m256d)x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
#endif
static inline vd vmin(vd a, vd b) { return vblend((vl)(a < b), a, b); }
static inline vd vmax(vd a, vd b) { return vblend((vl)(a > b), a, b); }

#endif /* SIMD_W > 0 */
#endif
