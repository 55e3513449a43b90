/**
 * @file moments.h
 * @brief Count, mean and M2 (sum of squared deviations) of a set of values, merged with the
 * pairwise formulas of Chan, Golub & LeVeque (1979).
 *
 * The mean and M2 are carried in double-double (about 106 bits): a merge then rounds at the
 * 1e-32 level, so the merge tree (which follows how the data were cut across ranks) changes no
 * bit of the final doubles except in a ~1e-16 chance per figure, and the same dataset gives the
 * same statistics at 1 rank or 1,000.
 *
 * Within one chunk the values are summed as deviations from a shift K close to the mean (the
 * mean of the chunk's first values), 16 independent lanes per block, and the block sums are
 * accumulated in double-double: one pass over the data, and no catastrophic cancellation.
 */
#ifndef SYNOBS_MOMENTS_H
#define SYNOBS_MOMENTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct { double hi, lo; } ddouble;

/** Exactly five doubles, so MPI can move it as MPI_DOUBLE x 5 (mpi/moments_op.h). */
typedef struct {
    double n;         /**< count (exact below 2^53) */
    ddouble mean;
    ddouble m2;       /**< sum of (x - mean)^2 */
} moments;

ddouble dd_add(ddouble a, ddouble b);
ddouble dd_sub(ddouble a, ddouble b);
ddouble dd_mul(ddouble a, ddouble b);
ddouble dd_div(ddouble a, ddouble b);
ddouble dd_from(double a);

void moments_zero(moments *m);
/** a <- a merged with b (Chan et al. 1979, eq. 2.1). */
void moments_merge(moments *a, const moments *b);
double moments_mean(const moments *m);
/** Population variance (ddof 0); 0 for n < 1. */
double moments_variance(const moments *m);

/** Shifted sums of one chunk: values enter as x - shift. */
typedef struct {
    double shift;
    double n;
    ddouble s1, s2;   /**< sum of d, sum of d^2, d = x - shift */
} moments_acc;

void moments_acc_start(moments_acc *a, double shift);
/** Add a block of float32 values (n <= MOMENTS_BLOCK); also returns its min, max, non-finite count. */
void moments_acc_add_f32(moments_acc *a, const float *x, size_t n, float *min, float *max, size_t *nonfinite);
/**
 * @brief Add a block of float32 values (n <= MOMENTS_BLOCK) to lin and, if lg is not NULL, their
 * natural logs to lg, in one sweep; also returns the block's min, max and non-finite count.
 *
 * The same sums, bit for bit, as moments_acc_add_f32 followed by vlog_f32_to_f64 and
 * moments_acc_add_f64 (tests/test_moments.c); with AVX-512 one sweep in registers. On a block with
 * non-finite or non-positive values lg's content is meaningless (the caller rejects the block).
 */
void moments_acc_add_f32_log(moments_acc *lin, moments_acc *lg, const float *x, size_t n, float *min, float *max,
                             size_t *nonfinite);
/** Add a block of doubles (n <= MOMENTS_BLOCK). */
void moments_acc_add_f64(moments_acc *a, const double *x, size_t n);
void moments_acc_finish(const moments_acc *a, moments *out);

/** Block length of the accumulators: keeps each lane's plain sum short (<= 64 terms). */
#define MOMENTS_BLOCK 1024

#endif
