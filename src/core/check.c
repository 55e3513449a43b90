#include "core/check.h"

#include <errno.h>
#include <hdf5.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

/*
 * No library teardown on the way out of a failed run. exit() runs HDF5's exit handler (and
 * MPI_Finalize runs parallel HDF5's MPI_COMM_SELF hook), which closes every file still open; on a
 * file whose write had failed (a full disk) HDF5 1.10.8 crashes there, in H5F__close_cb, and a
 * clean error became SIGSEGV. Nothing synobs holds needs closing when it fails: its outputs are
 * *.partial files that cleanup_run() has removed, its inputs are read-only, its logs are flushed
 * here. Under AddressSanitizer the leak check runs first, as exit() would have run it.
 */
_Noreturn void exit_failed(void)
{
    jlog_close();
    fflush(stdout);
    fflush(stderr);
#if defined(__SANITIZE_ADDRESS__)
    __lsan_do_leak_check();
#endif
    _exit(1);
}

void print_error_line(const char *tag, const char *msg)
{
    /* one line whatever the message holds: a user who greps for "synobs: error" sees all of it */
    size_t n = strlen(msg);
    char *line = malloc(4 * n + 1), *o = line;
    if (!line) {
        fprintf(stderr, "synobs: error%s: %.*s\n", tag, (int)strcspn(msg, "\r\n"), msg);
        return;
    }
    for (const unsigned char *c = (const unsigned char *)msg; *c; c++) {
        if (*c == '\n' || *c == '\t') *o++ = ' ';
        else if (*c < 0x20 || *c == 0x7f) o += sprintf(o, "\\x%02x", *c);
        else *o++ = (char)*c;
    }
    *o = '\0';
    fprintf(stderr, "synobs: error%s: %s\n", tag, line);
    fflush(stderr);
    free(line);
}

_Noreturn void synobs_fatal(const char *file, int line, const char *source, const char *hint,
                            const char *fmt, ...)
{
    char msg[2048], full[3072], tag[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(tag, sizeof tag, " [rank %d, %.2fs]", log_rank(), log_elapsed());
    snprintf(full, sizeof full, "%s: %s (at %s:%d)%s%s", source, msg, file, line, hint ? " HINT: " : "",
             hint ? hint : "");
    print_error_line(tag, full);
    cleanup_run();
    char quoted[8192];
    jlog("error", "\"rank\": %d, \"message\": %s", log_rank(), json_quote(full, quoted, sizeof quoted));
    /* other ranks may wait in a collective that this one will never join: only an abort ends them */
    int up = 0, down = 0;
    MPI_Initialized(&up);
    MPI_Finalized(&down);
    if (up && !down && log_size() > 1) MPI_Abort(MPI_COMM_WORLD, 1);
    exit_failed();
}

_Noreturn void mpi_fail(int rc, const char *file, int line, const char *call)
{
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, s, &len) != MPI_SUCCESS) snprintf(s, sizeof s, "code %d", rc);
    synobs_fatal(file, line, "MPI", "check the launcher (mpirun/srun) and that all ranks run the same binary",
                 "%s failed: %s", call, s);
}

/* Innermost message of the HDF5 error stack: walking downward, the last visited is the deepest
 * cause, the most specific words HDF5 has. */
static herr_t h5_walk(unsigned n, const H5E_error2_t *err, void *data)
{
    (void)n;
    snprintf((char *)data, 512, "%s (in %s)", err->desc, err->func_name);
    return 0;
}

_Noreturn void h5_fail(const char *file, int line, const char *call)
{
    char what[512] = "no HDF5 error message";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, h5_walk, what);
    synobs_fatal(file, line, "HDF5", "check the disk space and permissions of the output directory",
                 "%s failed: %s", call, what);
}

_Noreturn void alloc_fail(size_t bytes, const char *file, int line, const char *what)
{
    synobs_fatal(file, line, "memory", "the node has too little memory for the sizes in the parameter file: reduce them, "
                 "or run fewer ranks per node",
                 "cannot allocate %zu bytes for %s", bytes, what);
}

void *xmalloc_at(size_t bytes, const char *file, int line)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) alloc_fail(bytes, file, line, "a buffer");
    return p;
}

void *xaligned64_at(size_t bytes, const char *file, int line)
{
    size_t rounded = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (!p) alloc_fail(rounded, file, line, "an aligned buffer");
    return p;
}

void *xcalloc_at(size_t n, size_t size, const char *file, int line)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) alloc_fail(n * size, file, line, "a zeroed buffer");
    return p;
}

char *xstrdup_at(const char *s, const char *file, int line)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc_at(n, file, line);
    memcpy(p, s, n);
    return p;
}

static char g_error[4096];
static int g_error_set = 0;

int error_set(const char *fmt, ...)
{
    if (!g_error_set) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(g_error, sizeof g_error, fmt, ap);
        va_end(ap);
        g_error_set = 1;
    }
    return -1;
}

const char *error_message(void) { return g_error_set ? g_error : "no error recorded"; }
int error_pending(void) { return g_error_set; }
void error_clear(void) { g_error_set = 0; g_error[0] = '\0'; }

#define MAX_TMP 64
static char *g_tmp[MAX_TMP];

void cleanup_register(const char *tmp_path)
{
    for (int i = 0; i < MAX_TMP; i++)
        if (!g_tmp[i]) { g_tmp[i] = xstrdup(tmp_path); return; }
}

void cleanup_unregister(const char *tmp_path)
{
    for (int i = 0; i < MAX_TMP; i++)
        if (g_tmp[i] && strcmp(g_tmp[i], tmp_path) == 0) { free(g_tmp[i]); g_tmp[i] = NULL; }
}

void cleanup_run(void)
{
    for (int i = 0; i < MAX_TMP; i++)
        if (g_tmp[i]) { unlink(g_tmp[i]); free(g_tmp[i]); g_tmp[i] = NULL; }
}
