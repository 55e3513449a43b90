/**
 * @file dataset.h
 * @brief Reading a dataset in the COEmuNet layout, whatever its files: a synobs master file
 * (its Virtual Datasets are followed to the shards, which are read directly), one file, a glob, or
 * a comma-separated list of files, taken in natural order (train_2 before train_10).
 *
 * Each file holds `input` (N,3,G,G,G) and `output` (N,1,F,G,G) or (N,1,G,G) (F = 1), any float
 * type (read as float32). Rank 0 checks every file's shapes and broadcasts the list of parts; a
 * rank opens a part only when it reads from it, with HDF5's default (sec2) driver.
 */
#ifndef SYNOBS_DATASET_H
#define SYNOBS_DATASET_H

#include <stdbool.h>
#include <stdint.h>

#include "mpi/decomp.h"

typedef struct dataset dataset;

/** Collective. Returns 0, or -1 with error_message() naming the file and the problem (same on all ranks). */
int dataset_open(const char *spec, dataset **out);
void dataset_close(dataset *ds);
/** This rank alone: check the files of `spec` as dataset_open does and give their samples, grid
 * and channels (the checks of a campaign before any stage works). 0, or -1 with the error set. */
int dataset_probe(const char *spec, int64_t *n, int *grid, int *nfreq);

int64_t dataset_samples(const dataset *ds);
int dataset_grid(const dataset *ds);
int dataset_nfreq(const dataset *ds);
/** Floats per sample of input (3 G^3) and of output (F G^2). */
int64_t dataset_input_floats(const dataset *ds);
int64_t dataset_output_floats(const dataset *ds);

/**
 * @brief Read samples [first, first + count) into input (count,3,G,G,G) and/or output (count,1,F,G,G);
 * either may be NULL. Returns 0, or -1 with the error naming the file and the samples.
 */
int dataset_read(dataset *ds, int64_t first, int64_t count, float *input, float *output);
/**
 * @brief Read the per-sample integer field `name` (a synobs field such as "split" or "model_id")
 * of all samples into out (n values, any integer type in the file). Returns 0; 1 when some file
 * lacks the field (out unspecified); -1 on a read error (error_message set).
 */
int dataset_read_field_i64(dataset *ds, const char *name, int64_t *out);
int dataset_read_field_f64(dataset *ds, const char *name, double *out);
/** The file holding global sample s, and the sample's index in that file. */
const char *dataset_locate(const dataset *ds, int64_t s, int64_t *local);

/** A rank's share, streamed chunk by chunk (chunks are cut from the global index: mpi/decomp.h). */
typedef struct {
    dataset *ds;
    decomp d;
    int64_t next;              /**< next local chunk */
    int64_t chunk, first, count; /**< the chunk just read: global index, first sample, samples */
    bool want_input, want_output;
    float *input, *output;     /**< (chunk_samples,3,G,G,G), (chunk_samples,1,F,G,G) */
} dataset_stream;

void dataset_stream_open(dataset_stream *st, dataset *ds, int64_t chunk_samples, bool want_input, bool want_output);
/** Read the next chunk: 1 if read, 0 when the share is done, -1 on error (error_message set). */
int dataset_stream_next(dataset_stream *st);
void dataset_stream_close(dataset_stream *st);

#endif
