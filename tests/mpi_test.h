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

/**
 * As MPI_TEST_MAIN, with `mode(argc, argv)` run first, before MPI: a test program's other modes
 * (writing a sample file for a Python check, say) return their exit status; -1 goes on to the tests.
 */
#define MPI_TEST_MAIN_WITH_MODE(group, mode)                                   \
    int main(int argc, char **argv)                                            \
    {                                                                          \
        int mode_ = mode(argc, argv);                                          \
        if (mode_ >= 0) return mode_;                                          \
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

static inline int mpi_test_tests_only(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return -1;
}
#define MPI_TEST_MAIN(group) MPI_TEST_MAIN_WITH_MODE(group, mpi_test_tests_only)

/** True on every rank only if true on all: keeps ranks in step on shared assertions. */
static inline int all_true(int x)
{
    int r = 0;
    MPI_Allreduce(&x, &r, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    return r;
}

#endif
