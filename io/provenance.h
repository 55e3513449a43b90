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

#endif
