/**
 * @file provenance.h
 * @brief What made a file: synobs version, git hash, build type and flags, library versions,
 * rank count, stage and the full resolved parameters, as attributes of the file's root group.
 */
#ifndef SYNOBS_PROVENANCE_H
#define SYNOBS_PROVENANCE_H

#include <hdf5.h>

/** Library versions as "name version; ..." (MPI, HDF5, FFTW, oneDNN, OpenBLAS, cfitsio). */
const char *provenance_libraries(void);
/** Write the provenance attributes onto loc. */
void provenance_write(hid_t loc, const char *stage, const char *params_text);

/**
 * @brief Whether the file at `path` was made by `stage` with the same [section] parameters as
 * `params_text` (resolved text as the stages receive it; the source comments and the `threads` key,
 * which does not change the bytes, are ignored).
 * @return 0: no such file; 1: same; -1: made otherwise, with `why` saying how (the stage, or the
 * first differing line of the section).
 */
int provenance_matches(const char *path, const char *stage, const char *section, const char *params_text, char *why,
                       size_t n);

#endif
