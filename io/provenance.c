#include "io/provenance.h"

#include <cblas.h>
#include <fftw3.h>
#include <fitsio.h>
#include <mpi.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/build_info.h"
#include "core/check.h"
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

/* The lines "key = value" of [section] in resolved parameter text, without source comments and
 * without `threads`, one per line (caller frees). */
static char *section_lines(const char *text, const char *section)
{
    size_t cap = strlen(text) + 1, len = 0;
    char *out = xcalloc(cap, 1), head[256];
    snprintf(head, sizeof head, "[%s]", section);
    bool in = false;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (n > 0 && line[0] == '[') in = n == strlen(head) && strncmp(line, head, n) == 0;
        else if (in && n > 0) {
            const char *hash = strstr(line, "  # ");
            size_t m = hash && hash < line + n ? (size_t)(hash - line) : n;
            if (!(strncmp(line, "threads ", 8) == 0 || strncmp(line, "threads=", 8) == 0)) {
                memcpy(out + len, line, m);
                len += m;
                out[len++] = '\n';
            }
        }
        line += n + (end ? 1 : 0);
    }
    out[len] = '\0';
    return out;
}

int provenance_matches(const char *path, const char *stage, const char *section, const char *params_text, char *why,
                       size_t n)
{
    if (access(path, F_OK) != 0) return 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        snprintf(why, n, "it is not an HDF5 file synobs can read");
        return -1;
    }
    char made_by[64] = "", *stored = xcalloc(1 << 20, 1);
    h5_attr_read_string(f, "synobs_stage", made_by, sizeof made_by);
    h5_attr_read_string(f, "synobs_parameters", stored, 1 << 20);
    H5Fclose(f);
    int rc = 1;
    if (strcmp(made_by, stage) != 0) {
        snprintf(why, n, "it was not written by synobs %s", stage);
        rc = -1;
    } else {
        char *a = section_lines(stored, section), *b = section_lines(params_text, section);
        if (strcmp(a, b) != 0) {
            const char *pa = a, *pb = b; /* the first line that differs */
            while (*pa && *pa == *pb) pa++, pb++;
            while (pa > a && pa[-1] != '\n') pa--;
            pb = b + (pa - a);
            snprintf(why, n, "it was made with '%.*s' where this run has '%.*s'", (int)strcspn(pa, "\n"), pa,
                     (int)strcspn(pb, "\n"), pb);
            rc = -1;
        }
        free(a);
        free(b);
    }
    free(stored);
    return rc;
}
