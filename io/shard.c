#include "io/shard.h"

#include <dirent.h>
#include <errno.h>
#include <hdf5.h>
#include <libgen.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/check.h"
#include "core/log.h"
#include "io/h5util.h"
#include "io/provenance.h"
#include "mpi/collective.h"

#define MAX_FIELDS 64

struct shard_writer {
    char *master_path, *path, *tmp;
    hid_t file, input, output, field[MAX_FIELDS];
    shard_field fields[MAX_FIELDS];
    int nfields, grid, nfreq;
    int64_t n_local, first, *counts; /* counts: (size,) samples of every rank */
    const char *stage, *params_text, *layout;
    void (*hook)(hid_t, void *);
    void *hook_ctx;
};

/* "DIR/NAME.h5" -> "DIR/NAME.shards" (and "NAME.shards" relative to DIR). */
static void shard_dir(const char *master, char *dir, size_t n, char *rel, size_t nrel)
{
    char *copy = xstrdup(master), *copy2 = xstrdup(master);
    char *base = basename(copy), *d = dirname(copy2);
    char *dot = strrchr(base, '.');
    if (dot && dot != base) *dot = '\0';
    snprintf(rel, nrel, "%s.shards", base);
    snprintf(dir, n, "%s/%s", d, rel);
    free(copy);
    free(copy2);
}

char *shard_path(const char *master_path, int rank, char **relative)
{
    char dir[4096], rel[1024];
    shard_dir(master_path, dir, sizeof dir, rel, sizeof rel);
    char *p = xmalloc(strlen(dir) + 32);
    sprintf(p, "%s/rank_%05d.h5", dir, rank);
    if (relative) {
        *relative = xmalloc(strlen(rel) + 32);
        sprintf(*relative, "%s/rank_%05d.h5", rel, rank);
    }
    return p;
}

static void field_dims(const shard_field *f, int64_t n, hsize_t *dims, int *rank)
{
    dims[0] = (hsize_t)n;
    if (f->ndim > 0) {
        for (int i = 0; i < f->ndim; i++) dims[1 + i] = (hsize_t)f->shape[i];
        *rank = 1 + f->ndim;
        return;
    }
    dims[1] = (hsize_t)f->ncols;
    *rank = f->ncols > 0 ? 2 : 1;
}

static hid_t field_type(const shard_field *f)
{
    return f->type == SHARD_FIELD_I64 ? H5T_NATIVE_INT64 : f->type == SHARD_FIELD_F32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
}

static hid_t field_file_type(const shard_field *f)
{
    return f->type == SHARD_FIELD_I64 ? H5T_STD_I64LE : f->type == SHARD_FIELD_F32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
}

/* Link creation that makes the groups of "meta/M1" */
static hid_t lcpl_groups(void)
{
    hid_t l = H5Pcreate(H5P_LINK_CREATE);
    H5_CHECK(H5Pset_create_intermediate_group(l, 1));
    return l;
}

static void describe(hid_t d, const char *units, const char *description)
{
    h5_attr_string(d, "units", units);
    h5_attr_string(d, "description", description);
}

static const char *INPUT_DESC = "model cubes (sample, quantity, x, y, z): quantity 0 v_z [m/s], 1 T [K], 2 n_CO [m^-3]; z is the line of sight";
static const char *OUTPUT_DESC = "image cubes (sample, 1, frequency, x, y): specific intensity [W m^-2 Hz^-1 sr^-1]";

/* Create the input/output/field datasets of one file of n samples (shard: chunked + Fletcher32). */
static void create_data(shard_writer *w, hid_t file, int64_t n)
{
    if (w->grid > 0) {
    hsize_t g = (hsize_t)w->grid, f = (hsize_t)w->nfreq;
    hsize_t din[5] = {(hsize_t)n, 3, g, g, g}, cin[5] = {1, 1, g, g, g};
    hsize_t dout[5] = {(hsize_t)n, 1, f, g, g}, cout[5] = {1, 1, f, g, g};
    hid_t s = H5Screate_simple(5, din, NULL), p = h5_dcpl_chunked(5, cin);
    w->input = H5Dcreate2(file, "input", H5T_IEEE_F32LE, s, H5P_DEFAULT, p, H5P_DEFAULT);
    H5_CHECK(w->input);
    describe(w->input, "m/s, K, m^-3", INPUT_DESC);
    H5Sclose(s);
    H5Pclose(p);
    s = H5Screate_simple(5, dout, NULL);
    p = h5_dcpl_chunked(5, cout);
    w->output = H5Dcreate2(file, "output", H5T_IEEE_F32LE, s, H5P_DEFAULT, p, H5P_DEFAULT);
    H5_CHECK(w->output);
    describe(w->output, "W m^-2 Hz^-1 sr^-1", OUTPUT_DESC);
    H5Sclose(s);
    H5Pclose(p);
    }
    hid_t s, p, l = lcpl_groups();
    for (int i = 0; i < w->nfields; i++) {
        hsize_t dims[4], chunk[4];
        int rank;
        field_dims(&w->fields[i], n, dims, &rank);
        chunk[0] = dims[0] < 4096 ? (dims[0] ? dims[0] : 1) : 4096;
        for (int k = 1; k < rank; k++) chunk[k] = dims[k];
        if (rank >= 3) /* an image per chunk */
            for (int k = 0; k < rank - 2; k++) chunk[k] = 1;
        s = H5Screate_simple(rank, dims, NULL);
        p = h5_dcpl_chunked(rank, chunk);
        w->field[i] = H5Dcreate2(file, w->fields[i].name, field_file_type(&w->fields[i]), s, l, p, H5P_DEFAULT);
        H5_CHECK(w->field[i]);
        describe(w->field[i], w->fields[i].units, w->fields[i].description);
        H5Sclose(s);
        H5Pclose(p);
    }
    H5Pclose(l);
}

/* Rank 0: create the shard directory and remove shards of an earlier run that this one will not write. */
static int prepare_dir(const char *master, const int64_t *counts, int size)
{
    char dir[4096], rel[1024];
    shard_dir(master, dir, sizeof dir, rel, sizeof rel);
    DIR *d = NULL;
    if ((mkdir(dir, 0777) != 0 && errno != EEXIST) || !(d = opendir(dir)))
        return error_set("%s: cannot create the shard directory %s: %s", master, dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        int r;
        char tail[8];
        if (sscanf(e->d_name, "rank_%d.h5%7s", &r, tail) == 1 && (r >= size || counts[r] == 0)) {
            char p[4400];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    }
    closedir(d);
    return 0;
}

shard_writer *shard_writer_open(const char *master_path, int64_t n_local, int grid, int nfreq,
                                const shard_field *fields, int nfields, const char *stage, const char *params_text)
{
    int rank = log_rank(), size = log_size();
    shard_writer *w = xcalloc(1, sizeof *w);
    w->master_path = xstrdup(master_path);
    w->n_local = n_local;
    w->grid = grid;
    w->nfreq = nfreq;
    if (nfields > MAX_FIELDS) /* a stage's own table, not a user's input */
        synobs_fatal(__FILE__, __LINE__, "shard writer", "raise MAX_FIELDS in io/shard.c", "%d fields, at most %d", nfields,
                     MAX_FIELDS);
    w->nfields = nfields;
    for (int i = 0; i < w->nfields; i++) w->fields[i] = fields[i];
    w->stage = stage;
    w->params_text = params_text;
    w->counts = xmalloc((size_t)size * sizeof *w->counts);
    MPI_CHECK(MPI_Allgather(&n_local, 1, MPI_INT64_T, w->counts, 1, MPI_INT64_T, MPI_COMM_WORLD));
    for (int r = 0; r < rank; r++) w->first += w->counts[r];
    collective_fail_if(rank == 0 && prepare_dir(master_path, w->counts, size) != 0);
    w->file = -1;
    if (n_local > 0) {
        w->path = shard_path(master_path, rank, NULL);
        w->file = h5_create_partial(w->path, &w->tmp);
        provenance_write(w->file, stage, params_text);
        h5_attr_i64(w->file, "shard_rank", rank);
        h5_attr_i64(w->file, "first_sample", w->first);
        create_data(w, w->file, n_local);
    }
    return w;
}

shard_writer *shard_writer_open_fields(const char *master_path, int64_t n_local, const shard_field *fields, int nfields,
                                       const char *stage, const char *params_text, const char *layout,
                                       void (*hook)(hid_t master, void *ctx), void *ctx)
{
    /* grid 0: the writer makes no input/output cubes; the hook and layout are set before any file exists */
    shard_writer *w = shard_writer_open(master_path, n_local, 0, 0, fields, nfields, stage, params_text);
    w->layout = layout;
    w->hook = hook;
    w->hook_ctx = ctx;
    return w;
}

int64_t shard_writer_first(const shard_writer *w) { return w->first; }

static void write_rows(hid_t d, hid_t type, int64_t first, int64_t count, const void *buf)
{
    hid_t fs = H5Dget_space(d);
    int rank = H5Sget_simple_extent_ndims(fs);
    hsize_t dims[8], start[8] = {0}, cnt[8];
    H5Sget_simple_extent_dims(fs, dims, NULL);
    for (int i = 0; i < rank; i++) cnt[i] = dims[i];
    start[0] = (hsize_t)first;
    cnt[0] = (hsize_t)count;
    H5_CHECK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL));
    hid_t ms = H5Screate_simple(rank, cnt, NULL);
    H5_CHECK(H5Dwrite(d, type, ms, fs, H5P_DEFAULT, buf));
    H5Sclose(ms);
    H5Sclose(fs);
}

void shard_write(shard_writer *w, int64_t local_first, int64_t count, const float *input, const float *output)
{
    if (count <= 0 || h5_write_failed()) return; /* a failed write is reported by shard_writer_finish */
    if (local_first < 0 || local_first + count > w->n_local)
        synobs_fatal(__FILE__, __LINE__, "shard", NULL, "samples %lld+%lld outside this shard's %lld",
                     (long long)local_first, (long long)count, (long long)w->n_local);
    if (input) write_rows(w->input, H5T_NATIVE_FLOAT, local_first, count, input);
    if (output) write_rows(w->output, H5T_NATIVE_FLOAT, local_first, count, output);
}

void shard_write_field(shard_writer *w, int f, int64_t local_first, int64_t count, const void *data)
{
    if (count > 0 && !h5_write_failed()) write_rows(w->field[f], field_type(&w->fields[f]), local_first, count, data);
}

/* One VDS over every rank's shard of dataset `name` with per-sample row shape `row` (rank - 1 dims). */
static void master_vds(shard_writer *w, hid_t file, const char *name, hid_t type, int rank, const hsize_t *row,
                       const char *units, const char *desc)
{
    int size = log_size();
    hsize_t dims[8], start[8] = {0}, cnt[8];
    int64_t total = 0;
    for (int r = 0; r < size; r++) total += w->counts[r];
    dims[0] = (hsize_t)total;
    for (int i = 1; i < rank; i++) dims[i] = cnt[i] = row[i - 1];
    hid_t vspace = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5_CHECK(H5Pset_obj_track_times(dcpl, 0));
    int64_t off = 0;
    for (int r = 0; r < size; r++) {
        if (w->counts[r] == 0) continue;
        char *rel = NULL;
        free(shard_path(w->master_path, r, &rel));
        start[0] = (hsize_t)off;
        cnt[0] = (hsize_t)w->counts[r];
        H5_CHECK(H5Sselect_hyperslab(vspace, H5S_SELECT_SET, start, NULL, cnt, NULL));
        hid_t src = H5Screate_simple(rank, cnt, NULL);
        H5_CHECK(H5Pset_virtual(dcpl, vspace, rel, name, src));
        H5Sclose(src);
        free(rel);
        off += w->counts[r];
    }
    H5_CHECK(H5Sselect_all(vspace));
    hid_t lcpl = lcpl_groups();
    hid_t d = H5Dcreate2(file, name, type, vspace, lcpl, dcpl, H5P_DEFAULT);
    H5Pclose(lcpl);
    H5_CHECK(d);
    describe(d, units, desc);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(vspace);
}

void shard_writer_finish(shard_writer *w)
{
    /* a rank whose shard could not be written (a full disk) has its error set: agreed on here */
    if (w->file >= 0 && !h5_write_failed()) {
        if (w->grid > 0) {
            H5_CHECK(H5Dclose(w->input));
            H5_CHECK(H5Dclose(w->output));
        }
        for (int i = 0; i < w->nfields; i++) H5_CHECK(H5Dclose(w->field[i]));
    }
    /* until the master exists the shards are no dataset: a failed run removes them too */
    if (w->tmp && h5_commit_partial(w->file, w->tmp, w->path) == 0) cleanup_register(w->path);
    collective_fail_if(h5_write_failed());
    int rc = 0;
    if (log_rank() == 0) {
        int64_t total = 0;
        for (int r = 0; r < log_size(); r++) total += w->counts[r];
        char *tmp;
        hid_t f = h5_create_partial(w->master_path, &tmp);
        provenance_write(f, w->stage, w->params_text);
        h5_attr_i64(f, "n_samples", total);
        if (w->grid > 0) {
            h5_attr_i64(f, "grid", w->grid);
            h5_attr_i64(f, "n_freq", w->nfreq);
            h5_attr_string(f, "layout", "coemunet: input (N,3,G,G,G) [v_z,T,n_CO], output (N,1,F,G,G) intensity");
            hsize_t g = (hsize_t)w->grid, fq = (hsize_t)w->nfreq;
            hsize_t rin[4] = {3, g, g, g}, rout[4] = {1, fq, g, g};
            master_vds(w, f, "input", H5T_IEEE_F32LE, 5, rin, "m/s, K, m^-3", INPUT_DESC);
            master_vds(w, f, "output", H5T_IEEE_F32LE, 5, rout, "W m^-2 Hz^-1 sr^-1", OUTPUT_DESC);
        } else if (w->layout)
            h5_attr_string(f, "layout", w->layout);
        for (int i = 0; i < w->nfields; i++) {
            hsize_t dims[4];
            int rank;
            field_dims(&w->fields[i], 0, dims, &rank);
            master_vds(w, f, w->fields[i].name, field_file_type(&w->fields[i]), rank, dims + 1, w->fields[i].units,
                       w->fields[i].description);
        }
        if (w->hook) w->hook(f, w->hook_ctx);
        rc = h5_commit_partial(f, tmp, w->master_path);
    }
    collective_fail_if(rc != 0);
    if (w->path) cleanup_unregister(w->path);
    MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
    free(w->master_path);
    free(w->path);
    free(w->counts);
    free(w);
}
