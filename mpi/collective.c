#include "mpi/collective.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/log.h"

void collective_fail_if(bool failed)
{
    int rank = log_rank(), size = log_size();
    int mine = failed ? rank : size, first = size;
    MPI_CHECK(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD));
    if (first == size) return;
    if (rank == first) print_error_line("", error_message());
    cleanup_run();
    /* the run log records why it stopped: the message travels from the failing rank to rank 0 */
    char msg[4096];
    snprintf(msg, sizeof msg, "%s", error_message());
    MPI_CHECK(MPI_Bcast(msg, sizeof msg, MPI_CHAR, first, MPI_COMM_WORLD));
    char quoted[8300];
    jlog("error", "\"rank\": %d, \"message\": %s", first, json_quote(msg, quoted, sizeof quoted));
    jlog_close();
    /* every rank has done its part before any leaves: a launcher ends the job when the first does */
    MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
    exit_failed();
}

bool collective_any(bool flag)
{
    int in = flag, out = 0;
    MPI_CHECK(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD));
    return out != 0;
}

/* MPI counts are int: large buffers go in slices. */
#define SLICE ((size_t)1 << 28)

static void allreduce(void *buf, size_t n, size_t esize, MPI_Datatype t, MPI_Op op)
{
    for (size_t i = 0; i < n; i += SLICE) {
        size_t m = n - i < SLICE ? n - i : SLICE;
        MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, (char *)buf + i * esize, (int)m, t, op, MPI_COMM_WORLD));
    }
}

void mpi_allreduce_sum_u64(uint64_t *buf, size_t n) { allreduce(buf, n, sizeof *buf, MPI_UINT64_T, MPI_SUM); }
void mpi_allreduce_sum_f64(double *buf, size_t n) { allreduce(buf, n, sizeof *buf, MPI_DOUBLE, MPI_SUM); }
void mpi_allreduce_min_f32(float *buf, size_t n) { allreduce(buf, n, sizeof *buf, MPI_FLOAT, MPI_MIN); }
void mpi_allreduce_max_f32(float *buf, size_t n) { allreduce(buf, n, sizeof *buf, MPI_FLOAT, MPI_MAX); }

char *mpi_bcast_string(const char *s_on_root)
{
    long long len = log_rank() == 0 ? (long long)strlen(s_on_root) : 0;
    MPI_CHECK(MPI_Bcast(&len, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD));
    char *s = xmalloc((size_t)len + 1);
    if (log_rank() == 0) memcpy(s, s_on_root, (size_t)len + 1);
    MPI_CHECK(MPI_Bcast(s, (int)len + 1, MPI_CHAR, 0, MPI_COMM_WORLD));
    return s;
}

float *mpi_allgatherv_f32(const float *local, size_t n_local, size_t *total)
{
    int size = log_size();
    int *counts = xmalloc((size_t)size * sizeof *counts), *displs = xmalloc((size_t)size * sizeof *displs);
    int mine = (int)n_local;
    MPI_CHECK(MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD));
    size_t t = 0;
    for (int r = 0; r < size; r++) { displs[r] = (int)t; t += (size_t)counts[r]; }
    float *all = xmalloc(t * sizeof *all);
    MPI_CHECK(MPI_Allgatherv(local, mine, MPI_FLOAT, all, counts, displs, MPI_FLOAT, MPI_COMM_WORLD));
    free(counts);
    free(displs);
    *total = t;
    return all;
}
