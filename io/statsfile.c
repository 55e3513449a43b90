#include "io/statsfile.h"

#include <hdf5.h>
#include <math.h>

#include "core/check.h"
#include "io/h5util.h"
#include "io/provenance.h"

int statsfile_write(const char *path, const stat_summary s[NSTAT], const char *input, int64_t n_samples, int grid,
                     int nfreq, int64_t chunk_samples, const char *params_text)
{
    char *tmp;
    hid_t f = h5_create_partial(path, &tmp);
    provenance_write(f, "stats", params_text);
    h5_attr_string(f, "input", input);
    h5_attr_i64(f, "n_samples", n_samples);
    h5_attr_i64(f, "grid", grid);
    h5_attr_i64(f, "n_freq", nfreq);
    h5_attr_i64(f, "chunk_samples", chunk_samples);
    h5_attr_string(f, "description",
                   "global statistics; variance is the population variance (ddof 0); median is the exact lower "
                   "middle element; median_of_medians is the median of the per-chunk medians; log_* use the natural "
                   "log, log_I of I with each sample's zeros replaced by its smallest positive value");
    for (int q = 0; q < NSTAT; q++) {
        hid_t g = H5Gcreate2(f, stat_name[q], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5_CHECK(g);
        h5_attr_i64(g, "count", (int64_t)s[q].count);
        h5_attr_i64(g, "skipped", (int64_t)s[q].skipped);
        h5_attr_f64(g, "mean", s[q].mean);
        h5_attr_f64(g, "variance", s[q].variance);
        h5_attr_f64(g, "min", s[q].min);
        h5_attr_f64(g, "max", s[q].max);
        h5_attr_f64(g, "median", s[q].median);
        h5_attr_f64(g, "median_of_medians", s[q].median_of_medians);
        double scale = s[q].variance > 0 ? sqrt(s[q].variance) : 1.0;
        h5_attr_f64(g, "median_of_medians_error_in_std", (s[q].median_of_medians - s[q].median) / scale);
        H5Gclose(g);
    }
    return h5_commit_partial(f, tmp, path);
}

int statsfile_read(const char *path, stat_summary s[NSTAT])
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return h5_input_error(path, "cannot open the statistics file");
    int rc = 0;
    for (int q = 0; q < NSTAT && rc == 0; q++) {
        if (H5Lexists(f, stat_name[q], H5P_DEFAULT) <= 0) { rc = error_set("%s: no group '%s'", path, stat_name[q]); break; }
        hid_t g = H5Gopen2(f, stat_name[q], H5P_DEFAULT);
        double count = 0, skipped = 0;
        const char *names[] = {"mean", "variance", "min", "max", "median", "median_of_medians"};
        double *dst[] = {&s[q].mean, &s[q].variance, &s[q].min, &s[q].max, &s[q].median, &s[q].median_of_medians};
        if (h5_attr_read_f64(g, "count", &count) || h5_attr_read_f64(g, "skipped", &skipped))
            rc = error_set("%s: group '%s' lacks the attribute count or skipped", path, stat_name[q]);
        for (int i = 0; i < 6 && rc == 0; i++)
            if (h5_attr_read_f64(g, names[i], dst[i]))
                rc = error_set("%s: group '%s' lacks the attribute %s", path, stat_name[q], names[i]);
        s[q].count = (uint64_t)count;
        s[q].skipped = (uint64_t)skipped;
        H5Gclose(g);
    }
    H5Fclose(f);
    return rc;
}
