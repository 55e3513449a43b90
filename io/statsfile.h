/**
 * @file statsfile.h
 * @brief The statistics file that `synobs stats` writes and the preprocessing reads: one group
 * per quantity (v_z, T, n_CO, I, log_T, log_n_CO, log_I) with attributes count, mean, variance
 * (population), min, max, median (exact, lower middle) and median_of_medians.
 */
#ifndef SYNOBS_STATSFILE_H
#define SYNOBS_STATSFILE_H

#include <stdint.h>

#include "stats/scan.h"

typedef struct {
    uint64_t count, skipped;
    double mean, variance, min, max, median, median_of_medians;
} stat_summary;

/** Rank 0: write (as .partial, then renamed); -1 when it could not be written (error set). */
int statsfile_write(const char *path, const stat_summary s[NSTAT], const char *input, int64_t n_samples, int grid,
                     int nfreq, int64_t chunk_samples, const char *params_text);
/** Read back; -1 with error_message() naming the file and the missing group or attribute. */
int statsfile_read(const char *path, stat_summary s[NSTAT]);

#endif
