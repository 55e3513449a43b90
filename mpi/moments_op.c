#include "mpi/moments_op.h"

#include <mpi.h>

#include "core/check.h"

_Static_assert(sizeof(moments) == 5 * sizeof(double), "moments must be five packed doubles");

/* MPI_User_function: inout[i] <- in[i] merged with inout[i]. The op is declared non-commutative,
 * so MPI keeps rank order (lower ranks' data on the left), as a serial merge in chunk order would. */
static void chan_merge_op(void *in, void *inout, int *len, MPI_Datatype *type)
{
    (void)type;
    moments *a = in, *b = inout;
    for (int i = 0; i < *len; i++) {
        moments left = a[i];
        moments_merge(&left, &b[i]);
        b[i] = left;
    }
}

void moments_allreduce(moments *m, size_t n)
{
    MPI_Datatype t;
    MPI_Op op;
    MPI_CHECK(MPI_Type_contiguous(5, MPI_DOUBLE, &t));
    MPI_CHECK(MPI_Type_commit(&t));
    MPI_CHECK(MPI_Op_create(chan_merge_op, 0, &op));
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, m, (int)n, t, op, MPI_COMM_WORLD));
    MPI_CHECK(MPI_Op_free(&op));
    MPI_CHECK(MPI_Type_free(&t));
}
