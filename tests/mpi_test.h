/**
 * @file mpi_test.h
 * @brief cmocka under MPI (after MP-Gadget's tests/stub.c): main owns MPI_Init/Finalize, every
 * rank runs the group, and the exit status is the OR over ranks, so a failure on any rank fails.
 */
#ifndef SYNOBS_MPI_TEST_H
#define SYNOBS_MPI_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <mpi.h>

#include "core/log.h"
#include "io/h5util.h"

#define MPI_TEST_MAIN(group)                                                   \
    int main(int argc, char **argv)                                            \
    {                                                                          \
        MPI_Init(&argc, &argv);                                                \
        int rank_, size_;                                                      \
        MPI_Comm_rank(MPI_COMM_WORLD, &rank_);                                 \
        MPI_Comm_size(MPI_COMM_WORLD, &size_);                                 \
        log_init(rank_, size_, true);                                          \
        h5_quiet();                                                            \
        int fails_ = cmocka_run_group_tests(group, NULL, NULL), any_ = 0;      \
        MPI_Allreduce(&fails_, &any_, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);    \
        MPI_Finalize();                                                        \
        return any_ ? 1 : 0;                                                   \
    }

/** True on every rank only if true on all: keeps ranks in step on shared assertions. */
static inline int all_true(int x)
{
    int r = 0;
    MPI_Allreduce(&x, &r, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    return r;
}

#endif
