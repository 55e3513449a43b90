/* Shard write/read round trip through the VDS master (run at 1 and 2 ranks); the directory can
 * be moved; a missing shard is an error naming it; nothing *.partial is left behind. */
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/check.h"
#include "io/dataset.h"
#include "io/shard.h"
#include "mpi/collective.h"
#include "mpi/decomp.h"
#include "mpi_test.h"

enum { G = 6, F = 3, N = 11 };

static float value(int64_t sample, size_t i, int out) { return (float)(sample * 1000 + (int64_t)i % 997) + (out ? 0.25f : 0.0f); }

static char dir[256];

static void write_dataset(const char *master)
{
    int64_t first, count;
    decomp_block(N, log_rank(), log_size(), &first, &count);
    const shard_field fields[] = {{"model_id", SHARD_FIELD_I64, 0, "", "model", 0, {0}}};
    shard_writer *w = shard_writer_open(master, count, G, F, fields, 1, "test", "[test]\n");
    assert_int_equal(shard_writer_first(w), first);
    size_t in_per = 3 * G * G * G, out_per = F * G * G;
    for (int64_t s = 0; s < count; s++) {
        float in[3 * G * G * G], out[F * G * G];
        for (size_t i = 0; i < in_per; i++) in[i] = value(first + s, i, 0);
        for (size_t i = 0; i < out_per; i++) out[i] = value(first + s, i, 1);
        int64_t id = 100 + first + s;
        shard_write(w, s, 1, in, out);
        shard_write_field(w, 0, s, 1, &id);
    }
    shard_writer_finish(w);
}

static void check_dataset(const char *master)
{
    dataset *ds;
    error_clear();
    int rc = dataset_open(master, &ds);
    if (rc) fail_msg("%s", error_message());
    assert_int_equal(dataset_samples(ds), N);
    assert_int_equal(dataset_grid(ds), G);
    assert_int_equal(dataset_nfreq(ds), F);
    static float in[N * 3 * G * G * G], out[N * F * G * G];
    /* every rank reads everything, across shard boundaries */
    assert_int_equal(dataset_read(ds, 0, N, in, out), 0);
    size_t in_per = 3 * G * G * G, out_per = F * G * G, bad = 0;
    for (int64_t s = 0; s < N; s++) {
        for (size_t i = 0; i < in_per; i++) bad += in[s * in_per + i] != value(s, i, 0);
        for (size_t i = 0; i < out_per; i++) bad += out[s * out_per + i] != value(s, i, 1);
    }
    assert_int_equal(bad, 0);
    dataset_close(ds);
    /* the master is a plain HDF5 file with a VDS: any HDF5 reader sees the per-sample fields */
    hid_t f = H5Fopen(master, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    int64_t ids[N];
    hid_t d = H5Dopen2(f, "model_id", H5P_DEFAULT);
    assert_true(H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids) >= 0);
    for (int i = 0; i < N; i++) assert_int_equal(ids[i], 100 + i);
    H5Dclose(d);
    H5Fclose(f);
}

static void test_round_trip_and_move(void **state)
{
    (void)state;
    if (log_rank() == 0) snprintf(dir, sizeof dir, "shard_test_%d", log_size());
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    char master[512], moved[512], cmd[1200];
    snprintf(master, sizeof master, "%s/a/data.h5", dir);
    if (log_rank() == 0) {
        snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s/a", dir, dir);
        assert_int_equal(system(cmd), 0);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    write_dataset(master);
    check_dataset(master);
    MPI_Barrier(MPI_COMM_WORLD); /* every rank has read the files before rank 0 moves them */
    if (log_rank() == 0) {
        snprintf(cmd, sizeof cmd, "test -z \"$(find %s -name '*.partial')\"", dir);
        assert_int_equal(system(cmd), 0);
        snprintf(cmd, sizeof cmd, "mv %s/a %s/b", dir, dir);
        assert_int_equal(system(cmd), 0);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    snprintf(moved, sizeof moved, "%s/b/data.h5", dir);
    check_dataset(moved); /* relative VDS sources follow the directory */
    MPI_Barrier(MPI_COMM_WORLD);
    if (log_rank() == 0) {
        char *shard = shard_path(moved, log_size() - 1, NULL);
        assert_int_equal(unlink(shard), 0);
        free(shard);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    dataset *ds;
    error_clear();
    assert_int_equal(dataset_open(moved, &ds), -1);
    if (!strstr(error_message(), "rank_0000") || !strstr(error_message(), "missing"))
        fail_msg("unexpected message: %s", error_message());
}

/* The stream hands each rank whole chunks cut from the global index: together they see every
 * sample exactly once, with the right data, whatever the rank count. */
static void test_stream_shares(void **state)
{
    (void)state;
    char master[512];
    snprintf(master, sizeof master, "%s/stream/data.h5", dir);
    if (log_rank() == 0) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "mkdir -p %s/stream", dir);
        assert_int_equal(system(cmd), 0);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    write_dataset(master);
    dataset *ds;
    assert_int_equal(dataset_open(master, &ds), 0);
    dataset_stream st;
    dataset_stream_open(&st, ds, 4, true, true);
    int seen[N] = {0}, bad = 0, rc;
    size_t in_per = 3 * G * G * G, out_per = F * G * G;
    while ((rc = dataset_stream_next(&st)) == 1) {
        assert_int_equal(st.first, st.chunk * 4);
        for (int64_t s = 0; s < st.count; s++) {
            seen[st.first + s]++;
            bad += st.input[s * in_per + 5] != value(st.first + s, 5, 0);
            bad += st.output[s * out_per + 7] != value(st.first + s, 7, 1);
        }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(bad, 0);
    MPI_Allreduce(MPI_IN_PLACE, seen, N, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    for (int i = 0; i < N; i++) assert_int_equal(seen[i], 1);
    dataset_stream_close(&st);
    dataset_close(ds);
}

static const struct CMUnitTest group[] = {
    cmocka_unit_test(test_round_trip_and_move),
    cmocka_unit_test(test_stream_shares),
};
MPI_TEST_MAIN(group)
