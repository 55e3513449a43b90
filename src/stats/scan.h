/**
 * @file scan.h
 * @brief The quantities of a dataset's statistics, and the one-pass scan of their values.
 *
 * Seven reported statistics rest on five "base" value streams: v_z, T, n_CO, I, and I+ (I with
 * each sample's exact zeros replaced by that sample's smallest positive value, as the COEmuNet
 * preprocessing does before taking the log). log_T, log_n_CO and log_I are the logs of T, n_CO
 * and I+; the log is monotone, so their min, max and medians are the logs of the base values'
 * and only their mean and variance need the logs themselves.
 */
#ifndef SYNOBS_SCAN_H
#define SYNOBS_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/moments.h"

enum { BASE_VZ, BASE_T, BASE_NCO, BASE_I, BASE_IPOS, NBASE };
enum { STAT_VZ, STAT_T, STAT_NCO, STAT_I, STAT_LOG_T, STAT_LOG_NCO, STAT_LOG_I, NSTAT };

extern const char *const stat_name[NSTAT];
extern const int stat_base[NSTAT];
extern const bool stat_is_log[NSTAT];
extern const char *const base_name[NBASE];
/** True for the bases that also carry a log-scale statistic. */
extern const bool base_has_log[NBASE];

/** Running state of one base quantity within one chunk. */
typedef struct {
    moments_acc lin, log;
    bool lin_shift_set, log_shift_set;
    float min, max;
    uint64_t count, skipped;
    uint32_t *hist;   /**< (SELECT_BINS,) top-16-bit key histogram of this chunk */
} scan_state;

typedef enum { SCAN_OK = 0, SCAN_NONFINITE = 1, SCAN_NOT_POSITIVE = 2 } scan_status;

/** Reset for a new chunk (hist must point to SELECT_BINS counters). */
void scan_reset(scan_state *s, uint32_t *hist);
/**
 * @brief Add n contiguous values of one sample.
 * @param want_log also accumulate the moments of log(x) (values must be > 0).
 * @param skip_nonfinite count and leave out NaN/Inf instead of failing.
 * @param bad_index on failure, the index (in x) of the offending value.
 */
scan_status scan_values(scan_state *s, const float *x, size_t n, bool want_log, bool skip_nonfinite,
                        size_t *bad_index);

/** I+ of one sample: zeros replaced by the smallest positive value; -1 if none is positive. */
int scan_replace_zeros(const float *x, float *out, size_t n);

#endif
