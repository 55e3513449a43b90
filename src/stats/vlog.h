/**
 * @file vlog.h
 * @brief Natural logarithm of float32 arrays into double, vectorised through glibc's libmvec.
 */
#ifndef SYNOBS_VLOG_H
#define SYNOBS_VLOG_H

#include <stddef.h>

/** y[i] = log((double)x[i]); libmvec's vector log is within 4 ulp of the correctly rounded value.
 * (A 128-entry table version was tried: GCC emits no gathers when tuning for AMD Zen, and it ran
 * 2x slower than libmvec there.) */
void vlog_f32_to_f64(const float *x, double *y, size_t n);
/** y[i] = log((double)x[i]) with glibc's scalar log: the reference twin. */
void vlog_f32_to_f64_reference(const float *x, double *y, size_t n);

#endif
