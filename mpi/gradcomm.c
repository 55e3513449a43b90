/**
 * @file gradcomm.c
 * @brief The MPI gradient communicator (see gradcomm.h).
 */
#include "mpi/gradcomm.h"

#include <mpi.h>
#include <stdlib.h>

#include "core/check.h"

enum { MAX_PENDING = 256 };

struct gradcomm {
    MPI_Comm comm;
    int size;
    MPI_Request pending[MAX_PENDING];
    int npending;
};

gradcomm *gradcomm_new(void)
{
    gradcomm *c = xcalloc(1, sizeof *c);
    /* a communicator of its own, so gradient traffic never matches other collectives */
    MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &c->comm));
    MPI_CHECK(MPI_Comm_size(c->comm, &c->size));
    return c;
}

void gradcomm_free(gradcomm *c)
{
    if (!c) return;
    gradcomm_wait(c);
    MPI_Comm_free(&c->comm);
    free(c);
}

void gradcomm_start(gradcomm *c, float *buf, size_t n)
{
    if (c->size == 1 || n == 0) return;
    if (c->npending == MAX_PENDING) gradcomm_wait(c);
    /* MPI counts are int: split a bucket larger than 2^30 floats */
    const size_t most = (size_t)1 << 30;
    for (size_t off = 0; off < n; off += most) {
        size_t m = n - off < most ? n - off : most;
        if (c->npending == MAX_PENDING) gradcomm_wait(c);
        MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, buf + off, (int)m, MPI_FLOAT, MPI_SUM, c->comm, &c->pending[c->npending++]));
    }
}

void gradcomm_progress(gradcomm *c)
{
    if (c->npending == 0) return;
    int done;
    MPI_CHECK(MPI_Testall(c->npending, c->pending, &done, MPI_STATUSES_IGNORE));
    if (done) c->npending = 0;
}

void gradcomm_wait(gradcomm *c)
{
    if (c->npending == 0) return;
    MPI_CHECK(MPI_Waitall(c->npending, c->pending, MPI_STATUSES_IGNORE));
    c->npending = 0;
}

void gradcomm_sum_f64(gradcomm *c, double *buf, size_t n)
{
    if (c->size == 1 || n == 0) return;
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_DOUBLE, MPI_SUM, c->comm));
}

int gradcomm_size(const gradcomm *c) { return c->size; }
