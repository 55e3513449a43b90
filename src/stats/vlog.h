/**
 * @file vlog.h
 * @brief Natural logarithm of float32 arrays into double, vectorised through glibc's libmvec.
 */
#ifndef SYNOBS_VLOG_H
#define SYNOBS_VLOG_H

#include <stddef.h>

/** y[i] = log((double)x[i]): with AVX-512 the table-and-polynomial log of stats/log_avx512.h
 * (within 2 ulp of glibc's), elsewhere glibc's libmvec (within 4 ulp). */
void vlog_f32_to_f64(const float *x, double *y, size_t n);
/** The libmvec path (any x). */
void vlog_libmvec_f32_to_f64(const float *x, double *y, size_t n);
/** y[i] = log((double)x[i]) with glibc's scalar log: the reference twin. */
void vlog_f32_to_f64_reference(const float *x, double *y, size_t n);

#endif
