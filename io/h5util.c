#include "io/h5util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/check.h"

void h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static char g_h5msg[512];

/* Walking downward visits the API call first and the deepest cause last: keep the last, and
 * keep a checksum failure wherever it sits on the stack, since that is what a user must hear. */
static herr_t walk(unsigned n, const H5E_error2_t *err, void *data)
{
    (void)n;
    bool *have_checksum = data;
    if (*have_checksum) return 0;
    snprintf(g_h5msg, sizeof g_h5msg, "%s", err->desc);
    if (strstr(err->desc, "Fletcher32") || strstr(err->desc, "checksum")) *have_checksum = true;
    return 0;
}

const char *h5_error_text(void)
{
    bool have_checksum = false;
    snprintf(g_h5msg, sizeof g_h5msg, "no HDF5 message");
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk, &have_checksum);
    return g_h5msg;
}

int h5_input_error(const char *path, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return error_set("%s: %s (HDF5: %s)", path, what, h5_error_text());
}

void h5_attr_string(hid_t loc, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5_CHECK(t);
    H5_CHECK(H5Tset_size(t, strlen(value) + 1));
    H5_CHECK(H5Tset_strpad(t, H5T_STR_NULLTERM));
    hid_t s = H5Screate(H5S_SCALAR);
    if (H5Aexists(loc, name) > 0) H5_CHECK(H5Adelete(loc, name));
    hid_t a = H5Acreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(a);
    H5_CHECK(H5Awrite(a, t, value));
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}

static void attr_scalar(hid_t loc, const char *name, hid_t type, const void *v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    if (H5Aexists(loc, name) > 0) H5_CHECK(H5Adelete(loc, name));
    hid_t a = H5Acreate2(loc, name, type, s, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(a);
    H5_CHECK(H5Awrite(a, type, v));
    H5Aclose(a);
    H5Sclose(s);
}

void h5_attr_f64(hid_t loc, const char *name, double value) { attr_scalar(loc, name, H5T_NATIVE_DOUBLE, &value); }
void h5_attr_i64(hid_t loc, const char *name, int64_t value) { attr_scalar(loc, name, H5T_NATIVE_INT64, &value); }

int h5_attr_read_string(hid_t loc, const char *name, char *buf, size_t n)
{
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), t = H5Aget_type(a);
    int rc = -1;
    if (H5Tget_class(t) == H5T_STRING && !H5Tis_variable_str(t)) {
        size_t sz = H5Tget_size(t);
        char *tmp = xcalloc(sz + 1, 1);
        hid_t mt = H5Tcopy(t);
        if (H5Aread(a, mt, tmp) >= 0) { snprintf(buf, n, "%s", tmp); rc = 0; }
        H5Tclose(mt);
        free(tmp);
    }
    H5Tclose(t);
    H5Aclose(a);
    return rc;
}

int h5_attr_read_f64(hid_t loc, const char *name, double *value)
{
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    herr_t rc = H5Aread(a, H5T_NATIVE_DOUBLE, value);
    H5Aclose(a);
    return rc < 0 ? -1 : 0;
}

hid_t h5_create_partial(const char *final_path, char **tmp)
{
    size_t n = strlen(final_path) + 16;
    *tmp = xmalloc(n);
    snprintf(*tmp, n, "%s.partial", final_path);
    cleanup_register(*tmp);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    hid_t f = H5Fcreate(*tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    if (f < 0) stdio_fail(*tmp, __FILE__, __LINE__, "H5Fcreate");
    return f;
}

void h5_commit_partial(hid_t file, char *tmp, const char *final_path)
{
    H5_CHECK(H5Fflush(file, H5F_SCOPE_GLOBAL));
    H5_CHECK(H5Fclose(file));
    int fd = open(tmp, O_RDONLY);
    STDIO_CHECK(fd >= 0, tmp);
    STDIO_CHECK(fsync(fd) == 0, tmp);
    close(fd);
    STDIO_CHECK(rename(tmp, final_path) == 0, final_path);
    cleanup_unregister(tmp);
    free(tmp);
}

hid_t h5_dcpl_chunked(int rank, const hsize_t *chunk)
{
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    H5_CHECK(p);
    H5_CHECK(H5Pset_obj_track_times(p, 0));
    H5_CHECK(H5Pset_chunk(p, rank, chunk));
    H5_CHECK(H5Pset_fletcher32(p));
    return p;
}

int path_make_parent(const char *file_path)
{
    char *p = xstrdup(file_path);
    char *slash = strrchr(p, '/');
    int rc = 0;
    if (slash) {
        *slash = '\0';
        for (char *c = p + 1; *c; c++)
            if (*c == '/') { *c = '\0'; mkdir(p, 0777); *c = '/'; }
        if (*p && mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = error_set("%s: cannot create the output directory %s: %s", file_path, p, strerror(errno));
    }
    const char *dir = slash ? (*p ? p : "/") : ".";
    if (rc == 0 && access(dir, W_OK) != 0)
        rc = error_set("%s: the output directory %s is not writable: %s", file_path, dir, strerror(errno));
    free(p);
    return rc;
}
