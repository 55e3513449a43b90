#include "core/params.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"

typedef struct {
    const param_decl *decl;
    char *value;   /**< NULL: not set, the default applies */
    char *origin;  /**< "file:line" or "-P" */
} param_entry;

/* A [section] header as the file gave it, to name its line when a required key is missing. */
typedef struct {
    char *name, *origin;
} section_seen;

struct params {
    param_entry *entries;
    size_t n;
    char *source;          /**< the parameter file (or text) last parsed, for errors that have no line */
    section_seen *seen;
    size_t nseen;
};

params *params_new(const param_decl *const *tables)
{
    params *ps = xcalloc(1, sizeof *ps);
    for (const param_decl *const *t = tables; *t; t++)
        for (const param_decl *d = *t; d->section; d++) ps->n++;
    ps->entries = xcalloc(ps->n, sizeof *ps->entries);
    size_t i = 0;
    for (const param_decl *const *t = tables; *t; t++)
        for (const param_decl *d = *t; d->section; d++) ps->entries[i++].decl = d;
    return ps;
}

void params_free(params *ps)
{
    if (!ps) return;
    for (size_t i = 0; i < ps->n; i++) { free(ps->entries[i].value); free(ps->entries[i].origin); }
    for (size_t i = 0; i < ps->nseen; i++) { free(ps->seen[i].name); free(ps->seen[i].origin); }
    free(ps->seen);
    free(ps->source);
    free(ps->entries);
    free(ps);
}

static param_entry *find(const params *ps, const char *section, const char *key)
{
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->entries[i].decl->section, section) == 0 && strcmp(ps->entries[i].decl->key, key) == 0)
            return &ps->entries[i];
    return NULL;
}

static bool section_known(const params *ps, const char *section)
{
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->entries[i].decl->section, section) == 0) return true;
    return false;
}

/* Levenshtein distance, for "did you mean" on misspelt keys. */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 99;
    int row[64];
    for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int sub = diag + (a[i - 1] != b[j - 1]);
            int best = row[j - 1] + 1 < up + 1 ? row[j - 1] + 1 : up + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb];
}

static const char *closest_key(const params *ps, const char *section, const char *key)
{
    const char *best = NULL;
    int bestd = 3;
    for (size_t i = 0; i < ps->n; i++) {
        if (strcmp(ps->entries[i].decl->section, section) != 0) continue;
        int d = edit_distance(key, ps->entries[i].decl->key);
        if (d < bestd) { bestd = d; best = ps->entries[i].decl->key; }
    }
    return best;
}

static const char *type_name(param_type t)
{
    switch (t) {
    case PARAM_INT: return "int";
    case PARAM_REAL: return "real";
    case PARAM_BOOL: return "bool";
    case PARAM_STRING: return "string";
    case PARAM_CHOICE: return "choice";
    }
    return "?";
}

static bool parse_bool(const char *v, bool *out)
{
    static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0) { *out = true; return true; }
        if (strcmp(v, no[i]) == 0) { *out = false; return true; }
    }
    return false;
}

static bool choice_ok(const char *choices, const char *v)
{
    size_t lv = strlen(v);
    for (const char *c = choices; *c;) {
        const char *bar = strchr(c, '|');
        size_t lc = bar ? (size_t)(bar - c) : strlen(c);
        if (lc == lv && strncmp(c, v, lc) == 0) return true;
        if (!bar) break;
        c = bar + 1;
    }
    return false;
}

/* Check one value against its declaration; on failure set the error naming origin and key. */
static int validate(const param_decl *d, const char *v, const char *origin)
{
    char *end = NULL;
    errno = 0;
    size_t len = strlen(v);
    if (len > PARAM_VALUE_MAX)
        return error_set("%s: [%s] %s: a value of %zu characters; at most %d are accepted (a path's limit: name many "
                         "files with a glob)", origin, d->section, d->key, len, PARAM_VALUE_MAX);
    for (const unsigned char *c = (const unsigned char *)v; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return error_set("%s: [%s] %s: the value holds the control character 0x%02x", origin, d->section, d->key, *c);
    switch (d->type) {
    case PARAM_INT: {
        long long x = strtoll(v, &end, 10);
        if (*v == '\0' || *end != '\0' || errno == ERANGE)
            return error_set("%s: [%s] %s = '%s' is not an integer", origin, d->section, d->key, v);
        if ((double)x < d->lo || (double)x > d->hi)
            return error_set("%s: [%s] %s = %lld is out of range [%.17g, %.17g]", origin, d->section, d->key, x,
                             d->lo, d->hi);
        break;
    }
    case PARAM_REAL: {
        double x = strtod(v, &end);
        if (*v == '\0' || *end != '\0' || errno == ERANGE || !isfinite(x))
            return error_set("%s: [%s] %s = '%s' is not a finite real number", origin, d->section, d->key, v);
        if (x < d->lo || x > d->hi)
            return error_set("%s: [%s] %s = %s is out of range [%.17g, %.17g]", origin, d->section, d->key, v, d->lo,
                             d->hi);
        break;
    }
    case PARAM_BOOL: {
        bool b;
        if (!parse_bool(v, &b))
            return error_set("%s: [%s] %s = '%s' is not a bool (true/false, yes/no, on/off, 1/0)", origin,
                             d->section, d->key, v);
        break;
    }
    case PARAM_CHOICE:
        if (!choice_ok(d->choices, v))
            return error_set("%s: [%s] %s = '%s' is not one of %s", origin, d->section, d->key, v, d->choices);
        break;
    case PARAM_STRING:
        /* empty means "none" only where the declared default is empty */
        if (*v == '\0' && !(d->def && d->def[0] == '\0'))
            return error_set("%s: [%s] %s is empty", origin, d->section, d->key);
        break;
    }
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

static int set_value(params *ps, const char *section, const char *key, const char *value, const char *origin,
                     bool allow_reset)
{
    if (!section_known(ps, section)) return error_set("%s: unknown section [%s]", origin, section);
    param_entry *e = find(ps, section, key);
    if (!e) {
        const char *near = closest_key(ps, section, key);
        if (near) return error_set("%s: unknown key '%s' in [%s] (did you mean '%s'?)", origin, key, section, near);
        return error_set("%s: unknown key '%s' in [%s] ('synobs STAGE --help' lists the keys)", origin, key, section);
    }
    if (e->value && !allow_reset)
        return error_set("%s: duplicate key '%s' in [%s] (first set at %s)", origin, key, section, e->origin);
    if (validate(e->decl, value, origin) != 0) return -1;
    free(e->value);
    free(e->origin);
    e->value = xstrdup(value);
    e->origin = xstrdup(origin);
    return 0;
}

static void note_section(params *ps, const char *name, const char *origin)
{
    ps->seen = realloc(ps->seen, (ps->nseen + 1) * sizeof *ps->seen);
    ALLOC_CHECK(ps->seen, ps->nseen + 1);
    ps->seen[ps->nseen++] = (section_seen){xstrdup(name), xstrdup(origin)};
}

int params_parse_text(params *ps, const char *text, const char *source)
{
    char *buf = xstrdup(text);
    char section[128] = "";
    int lineno = 0, rc = 0;
    char *save = NULL;
    free(ps->source);
    ps->source = xstrdup(source);
    size_t origin_size = strlen(source) + 32;
    char *origin = xmalloc(origin_size);
    /* strtok_r would merge empty lines and shift line numbers: split by hand. */
    for (char *line = buf; line && rc == 0; line = save) {
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl) *nl = '\0';
        lineno++;
        snprintf(origin, origin_size, "%s:%d", source, lineno);
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *s = trim(line);
        if (*s == '\0') continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (!close || trim(close + 1)[0] != '\0') { rc = error_set("%s: malformed section header '%s'", origin, s); break; }
            *close = '\0';
            char *name = trim(s + 1);
            if (*name == '\0' || strlen(name) >= sizeof section) { rc = error_set("%s: bad section name", origin); break; }
            if (!section_known(ps, name)) { rc = error_set("%s: unknown section [%s]", origin, name); break; }
            strcpy(section, name);
            note_section(ps, name, origin);
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) { rc = error_set("%s: expected 'key = value', found '%s'", origin, s); break; }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        if (*key == '\0') { rc = error_set("%s: missing key before '='", origin); break; }
        if (section[0] == '\0') { rc = error_set("%s: key '%s' before any [section]", origin, key); break; }
        rc = set_value(ps, section, key, value, origin, false);
    }
    free(origin);
    free(buf);
    return rc;
}

int params_parse_file(params *ps, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return error_set("%s: cannot open the parameter file: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return error_set("%s: cannot read the parameter file", path); }
    long n = ftell(f);
    rewind(f);
    if (n < 0 || n > (1L << 24)) { fclose(f); return error_set("%s: not a parameter file (size %ld)", path, n); }
    char *text = xmalloc((size_t)n + 1);
    size_t got = fread(text, 1, (size_t)n, f);
    fclose(f);
    text[got] = '\0';
    const char *nul = memchr(text, '\0', got);
    if (nul) {
        int line = 1;
        for (const char *c = text; c < nul; c++) line += *c == '\n';
        free(text);
        return error_set("%s:%d: a NUL byte: not a text parameter file", path, line);
    }
    int rc = params_parse_text(ps, text, path);
    free(text);
    return rc;
}

int params_override(params *ps, const char *assignment)
{
    char *buf = xstrdup(assignment);
    size_t n = strlen(assignment) + 4;
    char *origin = xmalloc(n);
    snprintf(origin, n, "-P %s", assignment);
    char *eq = strchr(buf, '=');
    char *dot = strpbrk(buf, ".:");
    int rc;
    if (!eq || !dot || dot > eq) rc = error_set("%s: expected -P section.key=value", origin);
    else if (strchr(eq, '#')) /* as in a file, where '#' starts a comment: the resolved text is parsed again */
        rc = error_set("%s: a value cannot hold '#' (it starts a comment in parameter files)", origin);
    else {
        *dot = '\0';
        *eq = '\0';
        rc = set_value(ps, trim(buf), trim(dot + 1), trim(eq + 1), origin, true);
    }
    free(origin);
    free(buf);
    return rc;
}

int params_check_required(const params *ps, const char *const *sections, const char *who)
{
    const char *file = ps->source ? ps->source : "the parameters";
    for (const char *const *s = sections; *s; s++)
        for (size_t i = 0; i < ps->n; i++) {
            const param_entry *e = &ps->entries[i];
            if (strcmp(e->decl->section, *s) != 0 || e->decl->def || e->value) continue;
            for (size_t k = 0; k < ps->nseen; k++) /* the line of its section's header */
                if (strcmp(ps->seen[k].name, *s) == 0)
                    return error_set("%s: missing required key '%s' in [%s] (needed by %s)", ps->seen[k].origin,
                                     e->decl->key, *s, who);
            return error_set("%s: missing required key '%s' in [%s], a section the file does not have (needed by %s)",
                             file, e->decl->key, *s, who);
        }
    return 0;
}

const char *params_origin(const params *ps, const char *section, const char *key)
{
    param_entry *e = find(ps, section, key);
    return e && e->value ? e->origin : "default";
}

static const char *value_of(const params *ps, const char *section, const char *key, param_type want)
{
    param_entry *e = find(ps, section, key);
    if (!e) synobs_fatal(__FILE__, __LINE__, "params", "a stage asked for a key it did not declare",
                         "[%s] %s is not declared", section, key);
    if (e->decl->type != want && !(want == PARAM_STRING && e->decl->type == PARAM_CHOICE))
        synobs_fatal(__FILE__, __LINE__, "params", NULL, "[%s] %s is a %s, read as %s", section, key,
                     type_name(e->decl->type), type_name(want));
    const char *v = e->value ? e->value : e->decl->def;
    if (!v) synobs_fatal(__FILE__, __LINE__, "params", "params_check_required was not called",
                         "[%s] %s is required but unset", section, key);
    return v;
}

int64_t params_int(const params *ps, const char *section, const char *key)
{
    return strtoll(value_of(ps, section, key, PARAM_INT), NULL, 10);
}

double params_real(const params *ps, const char *section, const char *key)
{
    return strtod(value_of(ps, section, key, PARAM_REAL), NULL);
}

bool params_bool(const params *ps, const char *section, const char *key)
{
    bool b = false;
    parse_bool(value_of(ps, section, key, PARAM_BOOL), &b);
    return b;
}

const char *params_string(const params *ps, const char *section, const char *key)
{
    return value_of(ps, section, key, PARAM_STRING);
}

bool params_is_set(const params *ps, const char *section, const char *key)
{
    param_entry *e = find(ps, section, key);
    return e && e->value;
}

static bool in_list(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (strcmp(*list, s) == 0) return true;
    return false;
}

/* Append printf-formatted text to a growing string. */
static void append(char **out, size_t *len, size_t *cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append(char **out, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    while (*len + (size_t)n + 1 > *cap) {
        *cap *= 2;
        *out = realloc(*out, *cap);
        ALLOC_CHECK(*out, *cap);
    }
    va_start(ap, fmt);
    vsnprintf(*out + *len, *cap - *len, fmt, ap);
    va_end(ap);
    *len += (size_t)n;
}

char *params_resolved_text(const params *ps, const char *const *sections)
{
    size_t cap = 4096, len = 0;
    char *out = xmalloc(cap);
    out[0] = '\0';
    const char *current = "";
    for (size_t i = 0; i < ps->n; i++) {
        const param_entry *e = &ps->entries[i];
        if (!e->value && !in_list(sections, e->decl->section)) continue;
        const char *v = e->value ? e->value : e->decl->def;
        if (!v) continue;
        if (strcmp(current, e->decl->section) != 0) {
            current = e->decl->section;
            append(&out, &len, &cap, "%s[%s]\n", len ? "\n" : "", current);
        }
        append(&out, &len, &cap, "%s = %s  # %s\n", e->decl->key, v, e->value ? e->origin : "default");
    }
    return out;
}

void params_print_help(const param_decl *const *tables, const char *const *sections)
{
    for (const char *const *s = sections; *s; s++) {
        printf("\n[%s]\n", *s);
        for (const param_decl *const *t = tables; *t; t++)
            for (const param_decl *d = *t; d->section; d++) {
                if (strcmp(d->section, *s) != 0) continue;
                char range[96] = "";
                if (d->type == PARAM_INT || d->type == PARAM_REAL) snprintf(range, sizeof range, " range [%g, %g]", d->lo, d->hi);
                if (d->type == PARAM_CHOICE) snprintf(range, sizeof range, " one of %s", d->choices);
                printf("  %-18s %-6s %s%s%s%s%s\n      %s\n", d->key, type_name(d->type),
                       d->def ? "default " : "(required)", d->def ? d->def : "", range,
                       d->units && *d->units ? "  units " : "", d->units ? d->units : "", d->help);
            }
    }
}
