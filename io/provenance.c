#include "io/provenance.h"

#include <cblas.h>
#include <fftw3.h>
#include <fitsio.h>
#include <mpi.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <string.h>

#include "core/build_info.h"
#include "core/log.h"
#include "io/h5util.h"

char *openblas_get_config(void);

const char *provenance_libraries(void)
{
    static char text[2048];
    if (text[0]) return text;
    char mpi[MPI_MAX_LIBRARY_VERSION_STRING] = "";
    int len = 0;
    MPI_Get_library_version(mpi, &len);
    char *nl = strchr(mpi, '\n');
    if (nl) *nl = '\0';
    char *comma = strchr(mpi, ',');
    if (comma) *comma = '\0';
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    const dnnl_version_t *dv = dnnl_version();
    float fits = 0;
    ffvers(&fits);
    snprintf(text, sizeof text, "MPI: %s; HDF5: %u.%u.%u; FFTW: %s; oneDNN: %d.%d.%d; OpenBLAS: %s; cfitsio: %.3f",
             mpi, maj, min, rel, fftw_version, dv->major, dv->minor, dv->patch, openblas_get_config(), fits);
    return text;
}

void provenance_write(hid_t loc, const char *stage, const char *params_text)
{
    h5_attr_string(loc, "synobs_version", synobs_version);
    h5_attr_string(loc, "synobs_git_hash", synobs_git_hash);
    h5_attr_string(loc, "synobs_build_type", synobs_build_type);
    h5_attr_string(loc, "synobs_c_flags", synobs_c_flags);
    h5_attr_string(loc, "synobs_compiler", synobs_compiler);
    h5_attr_string(loc, "synobs_libraries", provenance_libraries());
    h5_attr_i64(loc, "synobs_rank_count", log_size());
    h5_attr_string(loc, "synobs_stage", stage);
    h5_attr_string(loc, "synobs_parameters", params_text ? params_text : "");
}
