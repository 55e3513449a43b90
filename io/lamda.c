/**
 * @file lamda.c
 * @brief LAMDA reader. Data lines come in a fixed order, comments start with '!', fields are
 * separated by blanks or TABs. Every problem names file:line.
 */
#include "io/lamda.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "rt/constants.h"

typedef struct {
    FILE *f;
    const char *path;
    int line;
    char buf[4096];
} reader;

/** Next data line (comments and blank lines skipped), or NULL at the end of the file. */
static char *next_data_line(reader *r)
{
    while (fgets(r->buf, sizeof r->buf, r->f)) {
        r->line++;
        char *s = r->buf;
        while (*s == ' ' || *s == '\t') s++;
        if (*s == '!' || *s == '\n' || *s == '\r' || *s == '\0') continue;
        return s;
    }
    return NULL;
}

static int parse_doubles(char *s, double *v, int n)
{
    for (int i = 0; i < n; i++) {
        char *end;
        errno = 0;
        v[i] = strtod(s, &end);
        if (end == s || errno == ERANGE) return i;
        s = end;
    }
    return n;
}

static int fail(reader *r, const char *what)
{
    return error_set("%s:%d: %s", r->path, r->line > 0 ? r->line : 1, what);
}

/** One data line holding a single positive count. */
static int read_count(reader *r, const char *what, int *n)
{
    char msg[160];
    char *s = next_data_line(r);
    snprintf(msg, sizeof msg, "expected the %s (a positive integer)%s", what, s ? "" : ", found the end of the file");
    double v;
    if (!s || parse_doubles(s, &v, 1) != 1 || v < 1 || v > 1e6 || v != (int)v) return fail(r, msg);
    *n = (int)v;
    return 0;
}

static int read_all(reader *r, lamda_data *d)
{
    char *s = next_data_line(r);
    if (!s) return fail(r, "expected the molecule name, found the end of the file");
    snprintf(d->molecule, sizeof d->molecule, "%.*s", (int)strcspn(s, " \t\r\n"), s);
    double mw;
    if (!(s = next_data_line(r)) || parse_doubles(s, &mw, 1) != 1)
        return fail(r, "expected the molecular weight (a number)");
    if (read_count(r, "number of energy levels", &d->nlev) || d->nlev < 2)
        return error_pending() ? -1 : fail(r, "a line needs at least 2 energy levels");
    d->energy = xmalloc((size_t)d->nlev * sizeof *d->energy);
    d->weight = xmalloc((size_t)d->nlev * sizeof *d->weight);
    for (int i = 0; i < d->nlev; i++) {
        double v[3];
        if (!(s = next_data_line(r))) return fail(r, "the level table ends early (file ended)");
        if (parse_doubles(s, v, 3) != 3) return fail(r, "a level row needs: index energy[cm^-1] weight [J]");
        if (v[0] != i + 1) return fail(r, "level indices must run 1, 2, 3, ... in order");
        if (!(v[1] >= 0)) return fail(r, "a level energy must be >= 0 cm^-1");
        if (!(v[2] >= 1)) return fail(r, "a level weight must be >= 1");
        d->energy[i] = v[1] * 100.0 * RT_H * RT_C;
        d->weight[i] = (double)(int)v[2];
    }
    if (read_count(r, "number of radiative transitions", &d->nrad)) return -1;
    d->upper = xmalloc((size_t)d->nrad * sizeof *d->upper);
    d->lower = xmalloc((size_t)d->nrad * sizeof *d->lower);
    d->einstein_a = xmalloc((size_t)d->nrad * sizeof *d->einstein_a);
    d->frequency = xmalloc((size_t)d->nrad * sizeof *d->frequency);
    for (int i = 0; i < d->nrad; i++) {
        double v[5];
        if (!(s = next_data_line(r))) return fail(r, "the transition table ends early (file ended)");
        if (parse_doubles(s, v, 5) != 5) return fail(r, "a transition row needs: index upper lower A[s^-1] freq[GHz] [E_u]");
        if (v[0] != i + 1) return fail(r, "transition indices must run 1, 2, 3, ... in order");
        if (v[1] != (int)v[1] || v[2] != (int)v[2] || v[1] < 1 || v[2] < 1 || v[1] > d->nlev || v[2] > d->nlev)
            return fail(r, "upper and lower levels must be level indices 1..NLEV");
        if (!(d->energy[(int)v[1] - 1] > d->energy[(int)v[2] - 1]))
            return fail(r, "the upper level must lie above the lower level");
        if (!(v[3] > 0) || !(v[4] > 0)) return fail(r, "Einstein A and the frequency must be > 0");
        d->upper[i] = (int)v[1] - 1;
        d->lower[i] = (int)v[2] - 1;
        d->einstein_a[i] = v[3];
        d->frequency[i] = v[4] * 1e9;
    }
    return 0; /* the collisional data that follow are not needed in LTE */
}

int lamda_read(const char *path, lamda_data *d)
{
    memset(d, 0, sizeof *d);
    reader r = {.path = path};
    if (!(r.f = fopen(path, "r"))) return error_set("%s: cannot open the LAMDA file: %s", path, strerror(errno));
    int rc = read_all(&r, d);
    fclose(r.f);
    if (rc) lamda_free(d);
    return rc;
}

void lamda_free(lamda_data *d)
{
    free(d->energy);
    free(d->weight);
    free(d->upper);
    free(d->lower);
    free(d->einstein_a);
    free(d->frequency);
    memset(d, 0, sizeof *d);
}
