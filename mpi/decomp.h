/**
 * @file decomp.h
 * @brief Which samples a rank owns. Chunks are cut from the global sample index, never from the
 * rank count, so a chunk (and anything computed per chunk) is the same at 1 rank or 1,000; each
 * rank owns a contiguous run of whole chunks.
 */
#ifndef SYNOBS_DECOMP_H
#define SYNOBS_DECOMP_H

#include <stdint.h>

typedef struct {
    int64_t n_samples, chunk_samples, n_chunks;
    int64_t first_chunk, n_local_chunks;   /**< this rank's run of chunks */
    int64_t max_local_chunks;              /**< the most any rank has: loops that agree per chunk run this long */
} decomp;

void decomp_init(decomp *d, int64_t n_samples, int64_t chunk_samples, int rank, int size);
/** Global sample range [first, first + count) of global chunk c. */
void decomp_chunk(const decomp *d, int64_t c, int64_t *first, int64_t *count);
/** Contiguous block partition of n items over size ranks: [*first, *first + *count). */
void decomp_block(int64_t n, int rank, int size, int64_t *first, int64_t *count);

#endif
