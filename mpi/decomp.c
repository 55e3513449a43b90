#include "mpi/decomp.h"

void decomp_block(int64_t n, int rank, int size, int64_t *first, int64_t *count)
{
    int64_t base = n / size, extra = n % size;
    *first = rank * base + (rank < extra ? rank : extra);
    *count = base + (rank < extra ? 1 : 0);
}

void decomp_init(decomp *d, int64_t n_samples, int64_t chunk_samples, int rank, int size)
{
    d->n_samples = n_samples;
    d->chunk_samples = chunk_samples;
    d->n_chunks = (n_samples + chunk_samples - 1) / chunk_samples;
    decomp_block(d->n_chunks, rank, size, &d->first_chunk, &d->n_local_chunks);
    d->max_local_chunks = (d->n_chunks + size - 1) / size;
}

void decomp_chunk(const decomp *d, int64_t c, int64_t *first, int64_t *count)
{
    *first = c * d->chunk_samples;
    int64_t end = *first + d->chunk_samples;
    *count = (end > d->n_samples ? d->n_samples : end) - *first;
}
