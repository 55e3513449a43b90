#include "io/dataset.h"

#include <ctype.h>
#include <glob.h>
#include <hdf5.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/check.h"
#include "core/log.h"
#include "io/fletcher32.h"
#include "io/h5util.h"
#include "mpi/collective.h"

/* A contiguous run of samples held by one file's datasets. */
typedef struct {
    char *path;       /**< the file read (a shard when a master was given) */
    char *via;        /**< the master that pointed to it, or NULL */
    int64_t first, n; /**< global first sample and count */
    hid_t file, input, output;
    /* Direct chunk reads (synobs shards: one float32 (sample, quantity) per chunk, Fletcher32 only):
     * the raw chunk lands in the caller's buffer and the checksum is checked here, sparing HDF5's
     * filter pipeline a copy and its byte-wise checksum. */
    bool direct_in, direct_out;
    uint8_t *bounce; /* (largest chunk + 4,) for the last chunk of a read, whose checksum has no room */
} part;

struct dataset {
    part *parts;
    int nparts;
    int64_t n;
    int grid, nfreq;
    bool out_rank4;   /**< output stored as (N,1,G,G) */
};

/* ---- natural sort of file names: digit runs compare as numbers ---------------------------- */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            char *ea, *eb;
            unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
            if (x != y) return x < y ? -1 : 1;
            a = ea;
            b = eb;
        } else {
            if (*a != *b) return (unsigned char)*a - (unsigned char)*b;
            a++;
            b++;
        }
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int natural_qsort(const void *a, const void *b) { return natural_cmp(*(char *const *)a, *(char *const *)b); }

static void free_paths(char **paths, int n)
{
    for (int i = 0; i < n; i++) free(paths[i]);
    free(paths);
}

/* Expand "a.h5, dir/train_*.hdf5" into a list of paths (nothing to free on failure). */
static int expand_spec(const char *spec, char ***paths, int *n)
{
    char *copy = xstrdup(spec), *save = NULL;
    int cap = 16;
    *paths = xmalloc((size_t)cap * sizeof **paths);
    *n = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*tok)) tok++;
        char *e = tok + strlen(tok);
        while (e > tok && isspace((unsigned char)e[-1])) *--e = '\0';
        if (!*tok) continue;
        glob_t g;
        int rc = glob(tok, 0, NULL, &g);
        if (rc != 0 || g.gl_pathc == 0) {
            error_set(rc == 0 || rc == GLOB_NOMATCH ? "%s: no such file (input = %s)" : "%s: cannot expand the pattern (input = %s)",
                      tok, spec);
            globfree(&g);
            free(copy);
            free_paths(*paths, *n);
            *paths = NULL;
            *n = 0;
            return -1;
        }
        qsort(g.gl_pathv, g.gl_pathc, sizeof(char *), natural_qsort);
        for (size_t i = 0; i < g.gl_pathc; i++) {
            if (*n == cap) { cap *= 2; *paths = realloc(*paths, (size_t)cap * sizeof **paths); ALLOC_CHECK(*paths, cap); }
            (*paths)[(*n)++] = xstrdup(g.gl_pathv[i]);
        }
        globfree(&g);
    }
    free(copy);
    if (*n == 0) {
        free_paths(*paths, 0);
        *paths = NULL;
        return error_set("input = '%s' names no file", spec);
    }
    return 0;
}

/* ---- checking one file's datasets ----------------------------------------------------------- */
static int check_shape(const char *path, hid_t d, const char *name, int *rank, hsize_t *dims)
{
    hid_t t = H5Dget_type(d), s = H5Dget_space(d);
    int ok = H5Tget_class(t) == H5T_FLOAT;
    *rank = H5Sget_simple_extent_ndims(s);
    if (*rank > 0 && *rank <= 5) H5Sget_simple_extent_dims(s, dims, NULL);
    H5Tclose(t);
    H5Sclose(s);
    if (!ok) return error_set("%s: dataset '%s' is not floating point", path, name);
    return 0;
}

static void dims_text(int rank, const hsize_t *dims, char *out, size_t n)
{
    int k = snprintf(out, n, "(");
    for (int i = 0; i < rank && (size_t)k < n; i++) k += snprintf(out + k, n - (size_t)k, i ? ",%llu" : "%llu", (unsigned long long)dims[i]);
    snprintf(out + k, n - (size_t)k, ")");
}

/* Check input/output of an open file; fills n, G, F. */
static int check_layout(const char *path, hid_t in, hid_t out, int64_t *n, int *grid, int *nfreq, bool *rank4)
{
    int ri, ro;
    hsize_t di[8] = {0}, dout[8] = {0};
    char text[128];
    if (check_shape(path, in, "input", &ri, di) || check_shape(path, out, "output", &ro, dout)) return -1;
    if (ri != 5 || di[1] != 3 || di[2] != di[3] || di[3] != di[4] || di[2] == 0) {
        dims_text(ri, di, text, sizeof text);
        return error_set("%s: dataset 'input' has shape %s, expected (N,3,G,G,G)", path, text);
    }
    bool ok5 = ro == 5 && dout[1] == 1 && dout[3] == di[2] && dout[4] == di[2] && dout[2] > 0;
    bool ok4 = ro == 4 && dout[1] == 1 && dout[2] == di[2] && dout[3] == di[2];
    if (!(ok5 || ok4) || dout[0] != di[0]) {
        dims_text(ro, dout, text, sizeof text);
        return error_set("%s: dataset 'output' has shape %s, expected (%llu,1,F,%llu,%llu) or (%llu,1,%llu,%llu)", path, text,
                         (unsigned long long)di[0], (unsigned long long)di[2], (unsigned long long)di[2],
                         (unsigned long long)di[0], (unsigned long long)di[2], (unsigned long long)di[2]);
    }
    *n = (int64_t)di[0];
    *grid = (int)di[2];
    *nfreq = ok5 ? (int)dout[2] : 1;
    *rank4 = ok4;
    return 0;
}

static int open_data(const char *path, hid_t *f, hid_t *in, hid_t *out)
{
    *in = *out = -1;
    *f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*f < 0) return h5_input_error(path, "cannot open as HDF5");
    if (H5Lexists(*f, "input", H5P_DEFAULT) <= 0 || H5Lexists(*f, "output", H5P_DEFAULT) <= 0)
        return error_set("%s: no 'input' and 'output' datasets: not a dataset in the COEmuNet layout", path);
    *in = H5Dopen2(*f, "input", H5P_DEFAULT);
    *out = H5Dopen2(*f, "output", H5P_DEFAULT);
    if (*in < 0 || *out < 0) return h5_input_error(path, "cannot open 'input'/'output'");
    return 0;
}

static void close_data(hid_t f, hid_t in, hid_t out)
{
    if (in >= 0) H5Dclose(in);
    if (out >= 0) H5Dclose(out);
    if (f >= 0) H5Fclose(f);
}

static void add_part(dataset *ds, int *cap, const char *path, const char *via, int64_t first, int64_t n)
{
    if (ds->nparts == *cap) {
        *cap *= 2;
        ds->parts = realloc(ds->parts, (size_t)*cap * sizeof *ds->parts);
        ALLOC_CHECK(ds->parts, *cap);
    }
    ds->parts[ds->nparts++] = (part){xstrdup(path), via ? xstrdup(via) : NULL, first, n, -1, -1, -1, false, false, NULL};
}

/* A master's `input` is virtual: add its source files as parts, checking each one. */
static int expand_master(dataset *ds, int *cap, const char *master, hid_t in, int64_t base)
{
    hid_t dcpl = H5Dget_create_plist(in);
    size_t count = 0;
    H5Pget_virtual_count(dcpl, &count);
    char *copy = xstrdup(master), *dir = dirname(copy);
    int rc = 0;
    int64_t expect = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        char name[4096], full[8300];
        H5Pget_virtual_filename(dcpl, i, name, sizeof name);
        hid_t vs = H5Pget_virtual_vspace(dcpl, i);
        hsize_t start[8], end[8];
        H5Sget_select_bounds(vs, start, end);
        H5Sclose(vs);
        if (name[0] == '/') snprintf(full, sizeof full, "%s", name);
        else snprintf(full, sizeof full, "%s/%s", dir, name);
        int64_t first = (int64_t)start[0], n = (int64_t)(end[0] - start[0] + 1);
        if (first != expect) { rc = error_set("%s: its shards do not cover samples %lld onwards contiguously", master, (long long)expect); break; }
        if (access(full, R_OK) != 0) { rc = error_set("%s: its shard '%s' is missing or unreadable", master, full); break; }
        hid_t f, si, so;
        int64_t sn;
        int sg, sf;
        bool r4;
        rc = open_data(full, &f, &si, &so);
        if (rc == 0) rc = check_layout(full, si, so, &sn, &sg, &sf, &r4);
        close_data(f, si, so);
        if (rc == 0 && (sn != n || sg != ds->grid || sf != ds->nfreq))
            rc = error_set("%s: shard '%s' holds %lld samples of grid %d, %d channels; the master maps %lld of grid %d, %d channels",
                           master, full, (long long)sn, sg, sf, (long long)n, ds->grid, ds->nfreq);
        if (rc == 0) add_part(ds, cap, full, master, base + first, n);
        expect = first + n;
    }
    free(copy);
    H5Pclose(dcpl);
    return rc;
}

/* Rank 0: build the list of parts. */
static int scan(dataset *ds, const char *spec)
{
    char **paths;
    int npaths, cap = 16, rc;
    if ((rc = expand_spec(spec, &paths, &npaths)) != 0) return rc;
    ds->parts = xmalloc((size_t)cap * sizeof *ds->parts);
    for (int i = 0; i < npaths && rc == 0; i++) {
        hid_t f, in, out;
        int64_t n = 0;
        int g = 0, fq = 0;
        bool r4 = false;
        rc = open_data(paths[i], &f, &in, &out);
        if (rc == 0) rc = check_layout(paths[i], in, out, &n, &g, &fq, &r4);
        if (rc == 0 && ds->grid && (g != ds->grid || fq != ds->nfreq))
            rc = error_set("%s: grid %d with %d channels, but %s has grid %d with %d channels", paths[i], g, fq, paths[0],
                           ds->grid, ds->nfreq);
        if (rc == 0) {
            ds->grid = g;
            ds->nfreq = fq;
            ds->out_rank4 = r4;
            hid_t dcpl = H5Dget_create_plist(in);
            bool virt = H5Pget_layout(dcpl) == H5D_VIRTUAL;
            H5Pclose(dcpl);
            if (virt) rc = expand_master(ds, &cap, paths[i], in, ds->n);
            else add_part(ds, &cap, paths[i], NULL, ds->n, n);
            ds->n += n;
        }
        close_data(f, in, out);
    }
    free_paths(paths, npaths);
    if (rc == 0 && ds->n == 0) rc = error_set("%s: the dataset holds no samples", spec);
    return rc;
}

static void free_parts(dataset *ds)
{
    for (int i = 0; i < ds->nparts; i++) { free(ds->parts[i].path); free(ds->parts[i].via); }
    free(ds->parts);
    memset(ds, 0, sizeof *ds);
}

int dataset_probe(const char *spec, int64_t *n, int *grid, int *nfreq)
{
    dataset ds = {0};
    int rc = scan(&ds, spec);
    *n = ds.n, *grid = ds.grid, *nfreq = ds.nfreq;
    free_parts(&ds);
    return rc;
}

/* Parts travel from rank 0 as text lines: "first n r4 path\tvia". */
static char *serialise(const dataset *ds, int rc)
{
    size_t cap = 256, len = 0;
    char *s = xmalloc(cap);
    len += (size_t)snprintf(s, cap, "%d %lld %d %d %d\n", rc, (long long)ds->n, ds->grid, ds->nfreq, ds->out_rank4);
    for (int i = 0; rc == 0 && i < ds->nparts; i++) {
        const part *p = &ds->parts[i];
        size_t need = strlen(p->path) + (p->via ? strlen(p->via) : 1) + 64;
        while (len + need >= cap) { cap *= 2; s = realloc(s, cap); ALLOC_CHECK(s, cap); }
        len += (size_t)snprintf(s + len, cap - len, "%lld %lld %s\t%s\n", (long long)p->first, (long long)p->n, p->path,
                                p->via ? p->via : "-");
    }
    if (rc != 0) {
        size_t need = strlen(error_message()) + 2;
        while (len + need >= cap) { cap *= 2; s = realloc(s, cap); ALLOC_CHECK(s, cap); }
        snprintf(s + len, cap - len, "%s", error_message());
    }
    return s;
}

static int deserialise(dataset *ds, const char *text)
{
    int rc, r4, cap = 16;
    long long n;
    const char *line = text;
    if (sscanf(line, "%d %lld %d %d %d", &rc, &n, &ds->grid, &ds->nfreq, &r4) != 5) return error_set("corrupt dataset descriptor");
    line = strchr(line, '\n') + 1;
    if (rc != 0) return error_set("%s", line);
    ds->n = n;
    ds->out_rank4 = r4;
    ds->parts = xmalloc((size_t)cap * sizeof *ds->parts);
    while (*line) {
        long long first, cnt;
        int used = 0;
        sscanf(line, "%lld %lld %n", &first, &cnt, &used);
        const char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');
        char *path = strndup(line + used, (size_t)(tab - line - used)), *via = strndup(tab + 1, (size_t)(nl - tab - 1));
        add_part(ds, &cap, path, strcmp(via, "-") ? via : NULL, first, cnt);
        free(path);
        free(via);
        line = nl + 1;
    }
    return 0;
}

int dataset_open(const char *spec, dataset **out)
{
    dataset *ds = xcalloc(1, sizeof *ds);
    char *text = NULL;
    if (log_rank() == 0) {
        int rc = scan(ds, spec);
        text = serialise(ds, rc);
        free_parts(ds);
    }
    char *all = mpi_bcast_string(text);
    free(text);
    int rc = deserialise(ds, all);
    free(all);
    if (rc != 0) { dataset_close(ds); *out = NULL; return rc; }
    *out = ds;
    return 0;
}

void dataset_close(dataset *ds)
{
    if (!ds) return;
    for (int i = 0; i < ds->nparts; i++) {
        close_data(ds->parts[i].file, ds->parts[i].input, ds->parts[i].output);
        free(ds->parts[i].bounce);
        free(ds->parts[i].path);
        free(ds->parts[i].via);
    }
    free(ds->parts);
    free(ds);
}

int64_t dataset_samples(const dataset *ds) { return ds->n; }
int dataset_grid(const dataset *ds) { return ds->grid; }
int dataset_nfreq(const dataset *ds) { return ds->nfreq; }
int64_t dataset_input_floats(const dataset *ds) { return 3 * (int64_t)ds->grid * ds->grid * ds->grid; }
int64_t dataset_output_floats(const dataset *ds) { return (int64_t)ds->nfreq * ds->grid * ds->grid; }

const char *dataset_locate(const dataset *ds, int64_t s, int64_t *local)
{
    for (int i = 0; i < ds->nparts; i++)
        if (s >= ds->parts[i].first && s < ds->parts[i].first + ds->parts[i].n) {
            *local = s - ds->parts[i].first;
            return ds->parts[i].path;
        }
    *local = -1;
    return "?";
}

/* True when d is chunked exactly `chunk` (rank 5), float32 little-endian, with Fletcher32 as its only filter. */
static bool direct_ok(hid_t d, const hsize_t *chunk)
{
    const uint16_t one = 1;
    uint8_t lo;
    memcpy(&lo, &one, 1);
    if (lo != 1) return false; /* big-endian host: let HDF5 convert */
    hid_t dcpl = H5Dget_create_plist(d), t = H5Dget_type(d);
    hsize_t c[8] = {0};
    bool ok = H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, 8, c) == 5 && H5Tequal(t, H5T_IEEE_F32LE) > 0 &&
              H5Pget_nfilters(dcpl) == 1;
    for (int i = 0; ok && i < 5; i++) ok = c[i] == chunk[i];
    if (ok) {
        unsigned flags, cd[8];
        size_t ncd = 8;
        ok = H5Pget_filter2(dcpl, 0, &flags, &ncd, cd, 0, NULL, NULL) == H5Z_FILTER_FLETCHER32;
    }
    H5Tclose(t);
    H5Pclose(dcpl);
    return ok;
}

static int open_part(dataset *ds, part *p)
{
    if (open_data(p->path, &p->file, &p->input, &p->output) != 0) return -1;
    hsize_t g = (hsize_t)ds->grid, cin[5] = {1, 1, g, g, g}, cout[5] = {1, 1, (hsize_t)ds->nfreq, g, g};
    p->direct_in = direct_ok(p->input, cin);
    p->direct_out = !ds->out_rank4 && direct_ok(p->output, cout);
    if (p->direct_in || p->direct_out) {
        size_t big = (size_t)(dataset_input_floats(ds) / 3 > dataset_output_floats(ds) ? dataset_input_floats(ds) / 3
                                                                                          : dataset_output_floats(ds));
        p->bounce = xmalloc(big * sizeof(float) + 4);
    }
    return 0;
}

/* Samples [first, first + count) of a directly readable dataset with nq chunks of `floats` per sample. */
static int read_rows_direct(part *p, hid_t d, const char *name, int64_t first, int64_t count, int nq, size_t floats,
                            float *buf)
{
    size_t bytes = floats * sizeof(float);
    for (int64_t s = 0; s < count; s++)
        for (int q = 0; q < nq; q++) {
            /* chunks are read in increasing order: each one's checksum lands in the next one's first
             * 4 bytes before that chunk overwrites them; the last goes through the bounce buffer */
            float *dst = buf + ((size_t)s * nq + q) * floats;
            bool last = s == count - 1 && q == nq - 1;
            uint8_t *target = last ? p->bounce : (uint8_t *)dst;
            hsize_t off[5] = {(hsize_t)(first + s), (hsize_t)q, 0, 0, 0}, size = 0;
            uint32_t mask = 0;
            if (H5Dget_chunk_storage_size(d, off, &size) < 0 || size != bytes + 4 ||
                H5Dread_chunk(d, H5P_DEFAULT, off, &mask, target) < 0)
                return h5_input_error(p->path, "cannot read the chunk of '%s' for sample %lld, index %d (stored size %llu)",
                                      name, (long long)(first + s), q, (unsigned long long)size);
            const uint8_t *c = target + bytes;
            uint32_t stored = (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
            if (mask == 0 && !fletcher32_matches(target, bytes, stored))
                return error_set("%s: checksum error in '%s', sample %lld of this file%s%s%s: the file is corrupted "
                                 "(Fletcher32 mismatch); regenerate it or restore a copy", p->path, name,
                                 (long long)(first + s), p->via ? " (a shard of " : "", p->via ? p->via : "", p->via ? ")" : "");
            if (last) memcpy(dst, target, bytes);
        }
    return 0;
}

static int read_rows(part *p, hid_t d, const char *name, int64_t first, int64_t count, float *buf)
{
    hid_t fs = H5Dget_space(d);
    int rank = H5Sget_simple_extent_ndims(fs);
    hsize_t dims[8], start[8] = {0}, cnt[8];
    H5Sget_simple_extent_dims(fs, dims, NULL);
    for (int i = 0; i < rank; i++) cnt[i] = dims[i];
    start[0] = (hsize_t)first;
    cnt[0] = (hsize_t)count;
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL);
    hid_t ms = H5Screate_simple(rank, cnt, NULL);
    herr_t rc = H5Dread(d, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, buf);
    char why[512];
    if (rc < 0) snprintf(why, sizeof why, "%s", h5_error_text()); /* before any other call clears the stack */
    H5Sclose(ms);
    H5Sclose(fs);
    if (rc < 0) {
        bool checksum = strstr(why, "Fletcher32") || strstr(why, "checksum");
        return error_set("%s: %s in '%s', samples %lld-%lld of this file%s%s%s: %s%s%s", p->path,
                         checksum ? "checksum error" : "read error", name, (long long)first, (long long)(first + count - 1),
                         p->via ? " (a shard of " : "", p->via ? p->via : "", p->via ? ")" : "",
                         checksum ? "the file is corrupted (HDF5: " : "HDF5: ", why,
                         checksum ? "); regenerate it or restore a copy" : "");
    }
    return 0;
}

int dataset_read(dataset *ds, int64_t first, int64_t count, float *input, float *output)
{
    int64_t in_per = dataset_input_floats(ds), out_per = dataset_output_floats(ds);
    for (int i = 0; i < ds->nparts && count > 0; i++) {
        part *p = &ds->parts[i];
        if (first >= p->first + p->n || first + count <= p->first) continue;
        int64_t a = first > p->first ? first : p->first, b = first + count < p->first + p->n ? first + count : p->first + p->n;
        if (p->file < 0 && open_part(ds, p) != 0) return -1;
        int64_t off = a - first;
        if (input && (p->direct_in ? read_rows_direct(p, p->input, "input", a - p->first, b - a, 3, (size_t)in_per / 3, input + off * in_per)
                                   : read_rows(p, p->input, "input", a - p->first, b - a, input + off * in_per)) != 0)
            return -1;
        if (output && (p->direct_out ? read_rows_direct(p, p->output, "output", a - p->first, b - a, 1, (size_t)out_per, output + off * out_per)
                                     : read_rows(p, p->output, "output", a - p->first, b - a, output + off * out_per)) != 0)
            return -1;
    }
    return 0;
}

static int read_field(dataset *ds, const char *name, hid_t type, size_t size, void *out)
{
    for (int i = 0; i < ds->nparts; i++) {
        part *p = &ds->parts[i];
        if (p->file < 0 && open_part(ds, p) != 0) return -1;
        if (H5Lexists(p->file, name, H5P_DEFAULT) <= 0) return 1;
        hid_t d = H5Dopen(p->file, name, H5P_DEFAULT);
        hid_t fs = d >= 0 ? H5Dget_space(d) : -1;
        hsize_t dims[2] = {0, 0};
        int nd = fs >= 0 ? H5Sget_simple_extent_dims(fs, dims, NULL) : -1;
        int rc = 0;
        if (d < 0 || nd != 1 || dims[0] != (hsize_t)p->n)
            rc = error_set("%s: field '%s' should have shape (%lld,), one value per sample", p->path, name, (long long)p->n);
        else if (H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, (char *)out + (size_t)p->first * size) < 0)
            rc = h5_input_error(p->path, "cannot read field '%s'", name);
        if (fs >= 0) H5Sclose(fs);
        if (d >= 0) H5Dclose(d);
        if (rc) return rc;
    }
    return 0;
}

int dataset_read_field_i64(dataset *ds, const char *name, int64_t *out)
{
    return read_field(ds, name, H5T_NATIVE_INT64, sizeof *out, out);
}

int dataset_read_field_f64(dataset *ds, const char *name, double *out)
{
    return read_field(ds, name, H5T_NATIVE_DOUBLE, sizeof *out, out);
}

void dataset_stream_open(dataset_stream *st, dataset *ds, int64_t chunk_samples, bool want_input, bool want_output)
{
    memset(st, 0, sizeof *st);
    st->ds = ds;
    decomp_init(&st->d, ds->n, chunk_samples, log_rank(), log_size());
    st->want_input = want_input;
    st->want_output = want_output;
    if (want_input) st->input = xmalloc((size_t)(chunk_samples * dataset_input_floats(ds)) * sizeof(float));
    if (want_output) st->output = xmalloc((size_t)(chunk_samples * dataset_output_floats(ds)) * sizeof(float));
}

int dataset_stream_next(dataset_stream *st)
{
    if (st->next >= st->d.n_local_chunks) return 0;
    st->chunk = st->d.first_chunk + st->next++;
    decomp_chunk(&st->d, st->chunk, &st->first, &st->count);
    if (dataset_read(st->ds, st->first, st->count, st->input, st->output) != 0) return -1;
    return 1;
}

void dataset_stream_close(dataset_stream *st)
{
    free(st->input);
    free(st->output);
    memset(st, 0, sizeof *st);
}
