/**
 * @file progress.h
 * @brief Rank-0 progress lines on long work: done/total, rate, ETA, at most one line per interval.
 */
#ifndef SYNOBS_PROGRESS_H
#define SYNOBS_PROGRESS_H

#include <stdint.h>

typedef struct {
    const char *what;     /**< e.g. "stats pass 1" */
    const char *unit;     /**< e.g. "chunks" */
    int64_t total;
    double bytes_per_unit; /**< > 0 adds a GB/s figure */
    double t_start, t_last, interval;
} progress;

void progress_start(progress *p, const char *what, const char *unit, int64_t total, double bytes_per_unit);
/** Report `done` units; prints when the interval has passed, and always at done == total. */
void progress_update(progress *p, int64_t done);

#endif
