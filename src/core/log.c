#include "core/log.h"

#include "core/check.h"

#include <mpi.h>
#include <stdarg.h>
#include <string.h>

static int g_rank = 0, g_size = 1;
static bool g_quiet = false;
static double g_t0 = 0.0;
static bool g_started = false;
static FILE *g_jlog = NULL;

void log_init(int rank, int size, bool quiet)
{
    g_rank = rank;
    g_size = size;
    g_quiet = quiet;
    g_t0 = MPI_Wtime();
    g_started = true;
}

int log_rank(void) { return g_rank; }
int log_size(void) { return g_size; }
bool log_quiet(void) { return g_quiet; }
double log_elapsed(void) { return g_started ? MPI_Wtime() - g_t0 : 0.0; }

static void vprint(FILE *out, const char *tag, const char *fmt, va_list ap)
{
    char line[4096];
    vsnprintf(line, sizeof line, fmt, ap);
    fprintf(out, "[%8.2fs] %s%s\n", log_elapsed(), tag, line);
    fflush(out);
}

void message0(const char *fmt, ...)
{
    if (g_rank != 0 || g_quiet) return;
    va_list ap;
    va_start(ap, fmt);
    vprint(stdout, "", fmt, ap);
    va_end(ap);
}

void message_all(const char *fmt, ...)
{
    if (g_quiet) return;
    char tag[32];
    snprintf(tag, sizeof tag, "[rank %d] ", g_rank);
    va_list ap;
    va_start(ap, fmt);
    vprint(stdout, tag, fmt, ap);
    va_end(ap);
}

void warning0(const char *fmt, ...)
{
    if (g_rank != 0) return;
    va_list ap;
    va_start(ap, fmt);
    vprint(stderr, "warning: ", fmt, ap);
    va_end(ap);
}

void warning_local(const char *fmt, ...)
{
    char tag[48];
    snprintf(tag, sizeof tag, "warning [rank %d]: ", g_rank);
    va_list ap;
    va_start(ap, fmt);
    vprint(stderr, tag, fmt, ap);
    va_end(ap);
}

static void jlog_open_mode(const char *path, const char *mode)
{
    if (g_rank != 0) return;
    jlog_close();
    g_jlog = fopen(path, mode);
    if (!g_jlog) warning0("cannot write the JSON-lines log %s; going on without it", path);
}

void jlog_open(const char *path) { jlog_open_mode(path, "w"); }
void jlog_open_append(const char *path) { jlog_open_mode(path, "a"); }

void jlog_close(void)
{
    if (g_jlog) fclose(g_jlog);
    g_jlog = NULL;
}

void jlog(const char *event, const char *fields_fmt, ...)
{
    if (!g_jlog) return;
    fprintf(g_jlog, "{\"t\": %.3f, \"event\": \"%s\"", log_elapsed(), event);
    if (fields_fmt) {
        fputs(", ", g_jlog);
        va_list ap;
        va_start(ap, fields_fmt);
        vfprintf(g_jlog, fields_fmt, ap);
        va_end(ap);
    }
    fputs("}\n", g_jlog);
    fflush(g_jlog);
}

char *json_quote(const char *s, char *out, size_t n)
{
    size_t j = 0;
    if (n < 3) { if (n) out[0] = '\0'; return out; }
    out[j++] = '"';
    for (; *s && j + 7 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { out[j++] = '\\'; out[j++] = (char)c; }
        else if (c == '\n') { out[j++] = '\\'; out[j++] = 'n'; }
        else if (c == '\t') { out[j++] = '\\'; out[j++] = 't'; }
        else if (c < 0x20) j += (size_t)snprintf(out + j, n - j, "\\u%04x", c);
        else out[j++] = (char)c;
    }
    out[j++] = '"';
    out[j] = '\0';
    return out;
}

char *json_quote_alloc(const char *s)
{
    size_t n = 6 * strlen(s) + 8; /* each byte at most \u00XX */
    return json_quote(s, xmalloc(n), n);
}
