/**
 * @file clock.h
 * @brief Timers and the memory-copy bandwidth probe that benchmarks print beside their figures.
 */
#ifndef SYNOBS_CLOCK_H
#define SYNOBS_CLOCK_H

#include <stddef.h>

/** Monotonic seconds. */
double clock_now(void);
/** Bytes per second of memcpy over a buffer of `bytes`, best of `repeats`. */
double clock_memcpy_bandwidth(size_t bytes, int repeats);

#endif
