/**
 * @file features_file.h
 * @brief The features file (spec analogues.md 1, 12): `/features/<model>/<tap>/<mode>` float32
 * [N_img, C] in catalogue order, written collectively (MPI-IO) by the ranks that computed their
 * rows, `/observation/<model>/<tap>/<mode>` float32 [C], and the provenance: every dataset carries
 * the parameters that made it, and an attribute `complete` written last, so a run killed while
 * writing leaves a dataset that readers refuse and the next run makes again.
 */
#ifndef SYNOBS_FEATURES_FILE_H
#define SYNOBS_FEATURES_FILE_H

#include <hdf5.h>
#include <stdint.h>

/**
 * @brief Rank 0: whether `path` holds a complete dataset `dset` made with `params` (its
 * `parameters` attribute). 1 yes, 0 no (absent, incomplete), -1 made with other parameters (`why`
 * names the first differing line).
 */
int featfile_has(const char *path, const char *dset, const char *params, char *why, size_t n);

typedef struct {
    const char *dset;        /**< "/features/<model>/<tap>/<mode>" */
    const char *obs_dset;    /**< "/observation/<model>/<tap>/<mode>" or NULL */
    int64_t n_total, first, n_local;
    int C;
    const float *rows;       /**< (n_local, C) */
    const float *obs;        /**< (C), rank 0's (others: ignored) */
    void (*attrs)(hid_t dset, void *ctx); /**< writes the provenance attributes (called on every rank, same values) */
    void *ctx;
    const char *stage, *params_text;
} featfile_write_args;

/** Collective: write (or add to) the features file. 0, or -1 with the error set on every rank. */
int featfile_write(const char *path, const featfile_write_args *a);

/** A feature set's name: "<model>/<tap>/<mode>". */
typedef char featfile_set[320];

/**
 * @brief The feature sets /features/<model>/<tap>/<mode> of a features file, in name order (at most
 * max); with `with_observation`, only those that have their /observation twin. 0, or -1 with the error
 * naming the file (not HDF5, or no /features group).
 */
int featfile_list(const char *path, int with_observation, featfile_set *sets, int max, int *n);

/** Read rows [first, first + n) of `dset` (any rank, serial). -1 with the error naming file and dataset. */
int featfile_read_rows(const char *path, const char *dset, int64_t first, int64_t n, int *C, int64_t *n_total, float **rows);

#endif
