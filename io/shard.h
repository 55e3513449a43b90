/**
 * @file shard.h
 * @brief Sharded HDF5 datasets: one shard file per writing rank, joined by a master file of
 * Virtual Datasets with relative source paths (the directory can be moved).
 *
 * Layout (the COEmuNet layout, spec coemunet.md 6.2, plus per-sample fields):
 *   master  DIR/NAME.h5            input (N,3,G,G,G) f32, output (N,1,F,G,G) f32, fields: VDS
 *   shards  DIR/NAME.shards/rank_RRRRR.h5   the same datasets for that rank's samples,
 *           chunked one (sample, quantity) per chunk, Fletcher32.
 * Every file carries the provenance attributes. Shards and master are written as *.partial and
 * renamed when complete; the master is written last, so a dataset without one is incomplete.
 */
#ifndef SYNOBS_SHARD_H
#define SYNOBS_SHARD_H

#include <hdf5.h>
#include <stdint.h>

typedef enum { SHARD_FIELD_I64, SHARD_FIELD_F64, SHARD_FIELD_F32 } shard_field_type;

/**
 * A per-sample field such as the model id: dataset `name` of shape (N, ncols) (or (N,) if ncols = 0),
 * or (N, shape[0..ndim-1]) when ndim > 0 (rows of two or more dimensions are chunked one 2-D plane
 * per chunk: an image). The name may hold groups ("meta/M1"); they are created.
 */
typedef struct {
    const char *name;
    shard_field_type type;
    int ncols;
    const char *units;
    const char *description;
    int ndim;
    int shape[3];
} shard_field;

typedef struct shard_writer shard_writer;

/**
 * @brief Collective: open this rank's shard of a dataset of sum(n_local) samples.
 * Ranks with n_local = 0 write no shard.
 */
shard_writer *shard_writer_open(const char *master_path, int64_t n_local, int grid, int nfreq,
                                const shard_field *fields, int nfields, const char *stage, const char *params_text);
/**
 * @brief Collective: a sharded dataset of per-sample fields only (no RT cubes). `layout` becomes the
 * master's layout attribute; `hook` (may be NULL) runs on rank 0 with the master open, before it is
 * committed, to add what is not per sample (attributes, tables).
 */
shard_writer *shard_writer_open_fields(const char *master_path, int64_t n_local, const shard_field *fields, int nfields,
                                       const char *stage, const char *params_text, const char *layout,
                                       void (*hook)(hid_t master, void *ctx), void *ctx);
/** Global index of this rank's first sample. */
int64_t shard_writer_first(const shard_writer *w);
/** Write samples [local_first, local_first + count) of this shard: input (count,3,G,G,G), output (count,1,F,G,G). */
void shard_write(shard_writer *w, int64_t local_first, int64_t count, const float *input, const float *output);
/** Write rows of field `f` (int64_t or double, count x max(ncols,1)). */
void shard_write_field(shard_writer *w, int f, int64_t local_first, int64_t count, const void *data);
/**
 * @brief Collective: close and rename every shard, then rank 0 writes the master file. A shard or
 * master that could not be written (a full disk) ends the run here on every rank, with one line.
 * Writes after a failed one do nothing.
 */
void shard_writer_finish(shard_writer *w);

/** Path of rank r's shard for a master path (caller frees); *relative receives the path from the master's directory. */
char *shard_path(const char *master_path, int rank, char **relative);

#endif
