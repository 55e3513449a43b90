/**
 * @file log.h
 * @brief Who speaks: rank-0 messages, all-rank messages, and the JSON-lines run log.
 *
 * Every human line is prefixed with the elapsed time; `--quiet` silences rank-0 progress and
 * information but never warnings or errors. The JSON-lines log (one object per line) sits beside
 * each output file so scripts can follow a run without parsing prose.
 */
#ifndef SYNOBS_LOG_H
#define SYNOBS_LOG_H

#include <stdbool.h>
#include <stdio.h>

void log_init(int rank, int size, bool quiet);
int log_rank(void);
int log_size(void);
bool log_quiet(void);
/** Seconds since log_init (MPI_Wtime based). */
double log_elapsed(void);

/** Rank 0 only, stdout, silenced by --quiet. */
void message0(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Every rank, stdout, prefixed with the rank. */
void message_all(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Rank 0 only, stderr, never silenced. */
void warning0(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** This rank, stderr, never silenced. */
void warning_local(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * @brief Open the JSON-lines log (rank 0 only; other ranks ignore the call).
 * Lines are flushed as written, so a pre-empted job leaves a readable log.
 */
void jlog_open(const char *path);
/** The same, appending: a resumed training run adds to the log of the runs before it. */
void jlog_open_append(const char *path);
void jlog_close(void);
/**
 * @brief Append one record {"t": elapsed, "event": event, <fields>} to the JSON-lines log.
 * @param fields_fmt printf format of further members, e.g. "\"chunks\": %d"; may be NULL.
 */
void jlog(const char *event, const char *fields_fmt, ...) __attribute__((format(printf, 2, 3)));
/** Write s as a JSON string literal (with quotes) into out (size n); returns out. */
char *json_quote(const char *s, char *out, size_t n);
/** s as a JSON string literal of any length (the caller frees). */
char *json_quote_alloc(const char *s);

#endif
