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

/* HDF5's I/O failures read "file write failed: time = ..., filename = ..., errno = 28, error message =
 * 'No space left on device', buf = ...": the system's words are what a user needs. */
static const char *brief(const char *h5msg, char *out, size_t n)
{
    const char *m = strstr(h5msg, "error message = '");
    if (m) {
        m += strlen("error message = '");
        snprintf(out, n, "%.*s", (int)strcspn(m, "'"), m);
    } else
        snprintf(out, n, "%s", h5msg);
    return out;
}

int h5_input_error(const char *path, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char why[512];
    return error_set("%s: %s (HDF5: %s)", path, what, brief(h5_error_text(), why, sizeof why));
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
    if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0) {
        /* as h5py writes a Python str */
        hid_t mt = H5Tcopy(H5T_C_S1);
        char *tmp = NULL;
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t));
        if (H5Aread(a, mt, &tmp) >= 0 && tmp) { snprintf(buf, n, "%s", tmp); rc = 0; }
        if (tmp) H5free_memory(tmp);
        H5Tclose(mt);
    } else if (H5Tget_class(t) == H5T_STRING) {
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

/*
 * The output files being written, newest last. While one is open, a failed HDF5 call is a failed
 * write of it (a full disk, a quota, a lost mount): a problem of where the run writes, not a bug.
 * It is recorded as the run's error, naming the file, and the writer's later HDF5 calls fail
 * without effect (they get invalid ids) until h5_commit_partial returns -1; the ranks then agree
 * on it (collective_fail_if) and the run ends with one line, its partial files removed.
 */
#define MAX_OPEN_OUTPUTS 8
static char *g_open_out[MAX_OPEN_OUTPUTS];
static int g_nopen_out;
static bool g_write_failed; /* sticky: the run ends at the writer's next agreement */

bool h5_write_failed(void) { return g_write_failed; }

static void output_push(const char *final_path)
{
    if (g_nopen_out < MAX_OPEN_OUTPUTS) g_open_out[g_nopen_out++] = xstrdup(final_path);
}

static void output_pop(const char *final_path)
{
    for (int i = g_nopen_out - 1; i >= 0; i--)
        if (strcmp(g_open_out[i], final_path) == 0) {
            free(g_open_out[i]);
            memmove(g_open_out + i, g_open_out + i + 1, (size_t)(g_nopen_out - i - 1) * sizeof *g_open_out);
            g_nopen_out--;
            return;
        }
}

void h5_check_failed(const char *file, int line, const char *call)
{
    if (g_nopen_out == 0) h5_fail(file, line, call);
    if (g_write_failed) return; /* the first failure is the one to report */
    g_write_failed = true;
    char why[512];
    error_clear(); /* this is what ends the run */
    error_set("%s: cannot write it: %s (in %.*s)", g_open_out[g_nopen_out - 1], brief(h5_error_text(), why, sizeof why),
              (int)strcspn(call, "("), call);
}

hid_t h5_create_partial(const char *final_path, char **tmp)
{
    size_t n = strlen(final_path) + 16;
    *tmp = xmalloc(n);
    snprintf(*tmp, n, "%s.partial", final_path);
    cleanup_register(*tmp);
    output_push(final_path);
    hid_t f = H5Fcreate(*tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0 && !g_write_failed) {
        char why[512];
        g_write_failed = true;
        error_clear();
        error_set("%s: cannot create it: %s", final_path, brief(h5_error_text(), why, sizeof why));
    }
    return f;
}

int h5_commit_partial(hid_t file, char *tmp, const char *final_path)
{
    if (!g_write_failed) H5_CHECK(H5Fflush(file, H5F_SCOPE_GLOBAL));
    /* a file whose write failed is left open, not closed: HDF5 may crash closing it (core/check.c) */
    if (!g_write_failed) H5_CHECK(H5Fclose(file));
    output_pop(final_path);
    if (g_write_failed) {
        unlink(tmp);
        return -1;
    }
    int fd = open(tmp, O_RDONLY), rc = 0;
    if (fd < 0 || fsync(fd) != 0 || rename(tmp, final_path) != 0) {
        g_write_failed = true;
        error_clear();
        rc = error_set("%s: cannot write it: %s", final_path, strerror(errno));
    }
    if (fd >= 0) close(fd);
    if (rc != 0) {
        unlink(tmp);
        return -1;
    }
    cleanup_unregister(tmp);
    free(tmp);
    return 0;
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

int path_check_parent(const char *file_path)
{
    char *p = xstrdup(file_path);
    char *slash = strrchr(p, '/');
    if (!slash) strcpy(p, ".");
    else if (slash == p) p[1] = '\0';
    else *slash = '\0';
    int rc = 0, missing = 0;
    struct stat st;
    /* walk up to the nearest part of the path that exists: it must be a writable directory, and
     * one where a directory can be made if the output's is missing (tried, and removed again) */
    for (;; missing++) {
        if (stat(p, &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                rc = error_set("%s: cannot create the output directory: %s is not a directory", file_path, p);
            else if (access(p, W_OK | X_OK) != 0)
                rc = error_set("%s: the output directory %s is not writable: %s", file_path, p, strerror(errno));
            else if (missing) {
                size_t n = strlen(p) + 64;
                char *probe = xmalloc(n);
                snprintf(probe, n, "%s/.synobs-probe-%ld", p, (long)getpid());
                if (mkdir(probe, 0700) != 0)
                    rc = error_set("%s: cannot create the output directory in %s: %s", file_path, p, strerror(errno));
                else
                    rmdir(probe);
                free(probe);
            }
            break;
        }
        if (errno != ENOENT || strcmp(p, ".") == 0) {
            rc = error_set("%s: cannot create the output directory %s: %s", file_path, p, strerror(errno));
            break;
        }
        char *up = strrchr(p, '/');
        if (!up) { strcpy(p, "."); continue; }
        if (up == p) { p[1] = '\0'; continue; }
        *up = '\0';
    }
    free(p);
    return rc;
}
