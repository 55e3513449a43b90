/**
 * @file check.h
 * @brief One check per failure source, and the error state for problems found in user input.
 *
 * Two kinds of failure:
 *  - a library call that should not fail (MPI, HDF5 internals, allocation, FFTW) ends the
 *    run at once through the *_CHECK macros below: one line naming rank, source file:line, the
 *    library's words and a hint, then MPI_Abort (exit_failed on a single rank);
 *  - a problem in what the user gave (parameters, files, data), or an output that cannot be written
 *    (a full disk: see H5_CHECK), is recorded with error_set() and returned as -1; the stage then
 *    agrees across ranks (collective_fail_if in mpi/collective.h), so every rank exits non-zero
 *    together and one line is printed.
 * Temporary files registered with cleanup_register() are removed on either path, so nothing
 * partial is left looking complete.
 */
#ifndef SYNOBS_CHECK_H
#define SYNOBS_CHECK_H

#if defined(__cplusplus) && !defined(_Noreturn)
#define _Noreturn [[noreturn]] /* the CUDA sources include this header as C++ */
#endif

#include <stddef.h>

_Noreturn void synobs_fatal(const char *file, int line, const char *source, const char *hint,
                            const char *fmt, ...) __attribute__((format(printf, 5, 6)));

_Noreturn void mpi_fail(int rc, const char *file, int line, const char *call);
_Noreturn void h5_fail(const char *file, int line, const char *call);
/** H5_CHECK's failure: a failed write of the newest open output file (recorded, returns), else h5_fail. */
void h5_check_failed(const char *file, int line, const char *call);
_Noreturn void alloc_fail(size_t bytes, const char *file, int line, const char *what);

#define MPI_CHECK(call)                                                        \
    do {                                                                       \
        int mpi_rc_ = (call);                                                  \
        if (mpi_rc_ != 0) mpi_fail(mpi_rc_, __FILE__, __LINE__, #call);       \
    } while (0)

/**
 * For HDF5 calls on objects synobs made itself; input files go through h5_input_error (io/h5util.h).
 * While an output file is open (h5_create_partial) a failure is that file's failed write: recorded
 * as the run's error and returned from, so that the ranks agree on it (h5_check_failed). Otherwise
 * it ends the run (h5_fail).
 */
#define H5_CHECK(call)                                                         \
    do {                                                                       \
        if ((long long)(call) < 0) h5_check_failed(__FILE__, __LINE__, #call); \
    } while (0)

#define ALLOC_CHECK(ptr, bytes)                                                \
    do {                                                                       \
        if ((ptr) == NULL && (bytes) != 0)                                     \
            alloc_fail((size_t)(bytes), __FILE__, __LINE__, #ptr);             \
    } while (0)

#define FFTW_CHECK(plan)                                                       \
    do {                                                                       \
        if ((plan) == NULL)                                                    \
            synobs_fatal(__FILE__, __LINE__, "FFTW", "the plan's sizes or flags are not supported", \
                         "plan creation returned NULL: %s", #plan);            \
    } while (0)

/** For oneDNN calls (status dnnl_success = 0); a failure here is a bug or an unsupported shape. */
#define DNNL_CHECK(call)                                                       \
    do {                                                                       \
        int dnnl_rc_ = (int)(call);                                            \
        if (dnnl_rc_ != 0)                                                     \
            synobs_fatal(__FILE__, __LINE__, "oneDNN", "the layer's shape or layout is not supported", \
                         "status %d from %s", dnnl_rc_, #call);               \
    } while (0)

/** malloc that ends the run when memory runs out. */
void *xmalloc_at(size_t bytes, const char *file, int line);
void *xcalloc_at(size_t n, size_t size, const char *file, int line);
/** 64-byte aligned (vector loads), `bytes` rounded up to a multiple of 64; free() releases it. */
void *xaligned64_at(size_t bytes, const char *file, int line);
char *xstrdup_at(const char *s, const char *file, int line);
#define xmalloc(bytes) xmalloc_at((bytes), __FILE__, __LINE__)
#define xcalloc(n, size) xcalloc_at((n), (size), __FILE__, __LINE__)
#define xaligned64(bytes) xaligned64_at((bytes), __FILE__, __LINE__)
#define xstrdup(s) xstrdup_at((s), __FILE__, __LINE__)

/** Record a user-facing problem (the first one wins); returns -1 for `return error_set(...)`. */
int error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *error_message(void);
int error_pending(void);
void error_clear(void);

/**
 * @brief Leave a failed run, once its one error line is printed and its temporary files removed:
 * exit status 1, and no library teardown (see check.c for why).
 */
_Noreturn void exit_failed(void);
/** Print `synobs: error<tag>: msg` as one line on stderr: control characters in msg (HDF5's
 * messages carry newlines, a parameter value may carry a CR) are shown escaped. */
void print_error_line(const char *tag, const char *msg);

/** Files written under a temporary name: removed if the run fails before they are renamed. */
void cleanup_register(const char *tmp_path);
void cleanup_unregister(const char *tmp_path);
void cleanup_run(void);

#endif
