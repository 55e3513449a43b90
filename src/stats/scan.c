#include "stats/scan.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "stats/select.h"
#include "stats/vlog.h"

const char *const stat_name[NSTAT] = {"v_z", "T", "n_CO", "I", "log_T", "log_n_CO", "log_I"};
const int stat_base[NSTAT] = {BASE_VZ, BASE_T, BASE_NCO, BASE_I, BASE_T, BASE_NCO, BASE_IPOS};
const bool stat_is_log[NSTAT] = {false, false, false, false, true, true, true};
const char *const base_name[NBASE] = {"v_z", "T", "n_CO", "I", "I (zeros replaced)"};
const bool base_has_log[NBASE] = {false, true, true, false, true};

/* The plain twin of vlog_f32_to_f64 (stats/vlog.h), here because vlog.c is built with -ffast-math. */
void vlog_f32_to_f64_reference(const float *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = log((double)x[i]);
}

void scan_reset(scan_state *s, uint32_t *hist)
{
    memset(s, 0, sizeof *s);
    s->min = FLT_MAX;
    s->max = -FLT_MAX;
    s->hist = hist;
    memset(hist, 0, SELECT_BINS * sizeof *hist);
}

static double mean_f32(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    return n ? s / (double)n : 0.0;
}

static double mean_f64(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    return n ? s / (double)n : 0.0;
}

/* One clean block (no NaN/Inf): moments, histogram and, if asked, the log moments. */
static scan_status scan_block(scan_state *s, const float *x, size_t n, bool want_log, size_t *bad)
{
    if (n == 0) return SCAN_OK;
    if (!s->lin_shift_set) {
        /* a float32 shift makes every x - shift exact in double */
        moments_acc_start(&s->lin, (double)(float)mean_f32(x, n));
        s->lin_shift_set = true;
    }
    moments_acc trial = s->lin, trial_log = s->log;
    if (want_log && !s->log_shift_set) {
        double y[MOMENTS_BLOCK];
        vlog_f32_to_f64(x, y, n);
        moments_acc_start(&trial_log, mean_f64(y, n));
    }
    float mn, mx;
    size_t nonfinite;
    moments_acc_add_f32_log(&trial, want_log ? &trial_log : NULL, x, n, &mn, &mx, &nonfinite);
    if (nonfinite) {
        for (size_t i = 0; i < n; i++)
            if (!(fabsf(x[i]) <= FLT_MAX)) { *bad = i; break; }
        return SCAN_NONFINITE;
    }
    if (want_log && !(mn > 0)) {
        for (size_t i = 0; i < n; i++)
            if (!(x[i] > 0)) { *bad = i; break; }
        return SCAN_NOT_POSITIVE;
    }
    s->lin = trial;
    if (want_log) {
        s->log = trial_log;
        s->log_shift_set = true;
    }
    s->min = mn < s->min ? mn : s->min;
    s->max = mx > s->max ? mx : s->max;
    s->count += n;
    select_hist_top(s->hist, x, n);
    return SCAN_OK;
}

scan_status scan_values(scan_state *s, const float *x, size_t n, bool want_log, bool skip_nonfinite,
                        size_t *bad_index)
{
    for (size_t i0 = 0; i0 < n; i0 += MOMENTS_BLOCK) {
        size_t m = n - i0 < MOMENTS_BLOCK ? n - i0 : MOMENTS_BLOCK, bad = 0;
        scan_status st = scan_block(s, x + i0, m, want_log, &bad);
        if (st == SCAN_NONFINITE && skip_nonfinite) {
            /* Rare path: keep the finite values of this block, count the others. */
            float clean[MOMENTS_BLOCK];
            size_t k = 0;
            for (size_t i = 0; i < m; i++)
                if (fabsf(x[i0 + i]) <= FLT_MAX) clean[k++] = x[i0 + i];
            s->skipped += m - k;
            st = scan_block(s, clean, k, want_log, &bad);
            if (st != SCAN_OK) {
                /* bad indexes the clean copy: find the same value in x */
                for (size_t i = 0; i < m; i++)
                    if (x[i0 + i] == clean[bad]) { bad = i; break; }
            }
        }
        if (st != SCAN_OK) {
            *bad_index = i0 + bad;
            return st;
        }
    }
    return SCAN_OK;
}

int scan_replace_zeros(const float *x, float *out, size_t n)
{
    float minpos = FLT_MAX;
    bool any = false;
    for (size_t i = 0; i < n; i++)
        if (x[i] > 0 && x[i] <= minpos) { minpos = x[i]; any = true; }
    for (size_t i = 0; i < n; i++) out[i] = x[i] == 0 ? minpos : x[i];
    return any ? 0 : -1;
}
