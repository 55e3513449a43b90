/**
 * @file loader.h
 * @brief Training samples for data-parallel training, streamed chunk by chunk with a prefetch thread,
 * in an order that does not depend on the rank count.
 *
 * A global batch is M micro-batches of mb samples; micro-batch k of every step comes from stream k.
 * Each epoch the training samples (a list of global indices) are put in a seeded random order, which
 * is cut into chunks of C samples; chunk j goes to stream j mod M (the remainder left out changes
 * every epoch). A stream is thus a function of (seed, epoch) alone, and a rank owning streams
 * [first, first + local) reads only their chunks, whatever the rank count.
 *
 * Why samples and not runs of consecutive ones: consecutive samples are views of the same wind
 * model, so a micro-batch cut from a contiguous run held one or two models; batch normalisation
 * over such a batch removes what distinguishes the models, and a scaled run trained that way sat
 * at the level of the mean image. Samples are read one by one in any case (one contiguous read of
 * each sample's input and output).
 * Samples arrive normalised (preprocess.h).
 *
 * The prefetch thread reads the next chunk of each stream while the current one trains. HDF5 is
 * not thread-safe here: any other HDF5 use while a loader is open goes between loader_io_lock()
 * and loader_io_unlock().
 */
#ifndef SYNOBS_TRAIN_LOADER_H
#define SYNOBS_TRAIN_LOADER_H

#include <stdint.h>

#include "io/dataset.h"
#include "nn/preprocess.h"

typedef struct {
    dataset *ds;
    const int64_t *index;  /**< global indices of the training samples (ascending) */
    int64_t n;
    int64_t chunk;         /**< C */
    int micro_batch;       /**< mb */
    int streams;           /**< M */
    int first_stream, local_streams;
    uint64_t seed;
    nn_norm norm;
} loader_config;

typedef struct loader loader;

/** Check the configuration (-1 with error_set naming the parameter) and start the thread. */
int loader_open(const loader_config *cfg, loader **out);
void loader_close(loader *ld);
/** Steps per epoch: the same every epoch. */
int64_t loader_steps_per_epoch(const loader *ld);
/** Position every local stream at the start of `step` of `epoch`. */
void loader_seek(loader *ld, int64_t epoch, int64_t step);
/**
 * @brief The next micro-batch of local stream s: x (mb, 3, G, G, G) and y (mb, 1, F, G, G), normalised.
 * @return 0, or -1 on a read error (error_message names the file).
 */
int loader_next(loader *ld, int s, float *x, float *y);

void loader_io_lock(void);
void loader_io_unlock(void);

/**
 * @brief Read samples index[0..count) (global indices, any order) into normalised x and y (either
 * may be NULL). Takes the I/O lock.
 * @return 0 or -1.
 */
int samples_read(dataset *ds, const int64_t *index, int64_t count, const nn_norm *norm, float *x, float *y);

#endif
