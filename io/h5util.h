/**
 * @file h5util.h
 * @brief Small HDF5 helpers: the innermost error text, attributes, and files written under a
 * temporary name and renamed only when complete.
 */
#ifndef SYNOBS_H5UTIL_H
#define SYNOBS_H5UTIL_H

#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Silence HDF5's own stack printing: synobs reports one line itself. */
void h5_quiet(void);
/** The most specific message on HDF5's error stack (e.g. the Fletcher32 checksum failure). */
const char *h5_error_text(void);

/**
 * @brief Record a problem with an input HDF5 file: "<path>: <what>: <HDF5's innermost message>".
 * @return -1, for `return h5_input_error(...)`.
 */
int h5_input_error(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void h5_attr_string(hid_t loc, const char *name, const char *value);
void h5_attr_f64(hid_t loc, const char *name, double value);
void h5_attr_i64(hid_t loc, const char *name, int64_t value);
/** Read a string attribute (fixed or variable length) into buf; returns -1 if missing. */
int h5_attr_read_string(hid_t loc, const char *name, char *buf, size_t n);
int h5_attr_read_f64(hid_t loc, const char *name, double *value);

/**
 * @brief Create `final_path` as `final_path.partial` (truncating), registered for removal if the
 * run fails. Returns the file id; *tmp receives the temporary name (caller frees after a commit).
 * From here to the commit, a failed HDF5 call (H5_CHECK) is this file's failed write: recorded as
 * the run's error (error_set, naming the file), not fatal, and later calls on the file do nothing.
 */
hid_t h5_create_partial(const char *final_path, char **tmp);
/**
 * @brief Flush, close, fsync and rename the temporary file to its final name.
 * @return 0, or -1 when the file could not be written (the error set, the partial file removed):
 * the caller makes the ranks agree on it (collective_fail_if), which ends the run.
 */
int h5_commit_partial(hid_t file, char *tmp, const char *final_path);
/** True once an output file could not be written (the run's error is set then). */
bool h5_write_failed(void);

/** Dataset-creation properties used for everything synobs writes: no timestamps (so the same
 * data give the same bytes), chunked, Fletcher32. */
hid_t h5_dcpl_chunked(int rank, const hsize_t *chunk);

/**
 * @brief Create the directory that will hold `file_path` (and its parents), like mkdir -p, and
 * check that it is writable: called before any work, so a bad output path costs nothing.
 * @return 0, or -1 with error_message() naming the path.
 */
int path_make_parent(const char *file_path);
/**
 * @brief Whether `file_path` could be written, changing nothing: its nearest existing ancestor
 * directory is writable and no part of its directory path is a file (the checks of a campaign
 * before any stage works). 0, or -1 with error_set naming the path.
 */
int path_check_parent(const char *file_path);

#endif

