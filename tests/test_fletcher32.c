/* The fast Fletcher32 check against HDF5's algorithm and against checksums HDF5 itself stored. */
#include <hdf5.h>
#include <string.h>

#include "core/rng.h"
#include "io/fletcher32.h"
#include "mpi_test.h"

static void test_matches_reference(void **state)
{
    (void)state;
    static uint8_t buf[70001];
    rng r;
    rng_seed(&r, 3, 0);
    size_t lens[] = {1, 2, 3, 511, 512, 513, 720, 721, 4096, 70001};
    for (int fill = 0; fill < 3; fill++)
        for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
            size_t n = lens[li];
            for (size_t i = 0; i < n; i++) buf[i] = fill == 0 ? (uint8_t)rng_u64(&r) : fill == 1 ? 0xff : 0x00;
            uint32_t ref = fletcher32_reference(buf, n);
            if (!fletcher32_matches(buf, n, ref)) fail_msg("fill %d length %zu: reference %08x not matched", fill, n, ref);
            buf[n / 2] ^= 0x04; /* one flipped bit */
            if (fletcher32_matches(buf, n, ref)) fail_msg("fill %d length %zu: flipped bit not detected", fill, n);
        }
}

static void test_against_hdf5_chunks(void **state)
{
    (void)state;
    enum { NCH = 5, CH = 3000 };
    static float x[NCH * CH];
    rng r;
    rng_seed(&r, 4, 0);
    for (int i = 0; i < NCH * CH; i++) x[i] = (float)rng_normal(&r);
    char path[64];
    snprintf(path, sizeof path, "fletcher_%d.h5", log_rank());
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims = NCH * CH, chunk = CH;
    hid_t s = H5Screate_simple(1, &dims, NULL), p = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(p, 1, &chunk);
    H5Pset_fletcher32(p);
    hid_t d = H5Dcreate2(f, "x", H5T_IEEE_F32LE, s, H5P_DEFAULT, p, H5P_DEFAULT);
    assert_true(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0);
    for (hsize_t c = 0; c < NCH; c++) {
        uint8_t raw[CH * 4 + 4];
        hsize_t off = c * CH, size = 0;
        uint32_t mask = 0;
        assert_true(H5Dget_chunk_storage_size(d, &off, &size) >= 0);
        assert_int_equal(size, CH * 4 + 4);
        assert_true(H5Dread_chunk(d, H5P_DEFAULT, &off, &mask, raw) >= 0);
        assert_int_equal(mask, 0);
        assert_memory_equal(raw, x + c * CH, CH * 4); /* the raw chunk is the data, then the checksum */
        uint32_t stored = (uint32_t)raw[CH * 4] | (uint32_t)raw[CH * 4 + 1] << 8 | (uint32_t)raw[CH * 4 + 2] << 16 |
                          (uint32_t)raw[CH * 4 + 3] << 24;
        assert_int_equal(fletcher32_reference(raw, CH * 4), stored);
        assert_true(fletcher32_matches(raw, CH * 4, stored));
        raw[17] ^= 1;
        assert_false(fletcher32_matches(raw, CH * 4, stored));
    }
    H5Dclose(d);
    H5Pclose(p);
    H5Sclose(s);
    H5Fclose(f);
}

static const struct CMUnitTest group[] = {
    cmocka_unit_test(test_matches_reference),
    cmocka_unit_test(test_against_hdf5_chunks),
};
MPI_TEST_MAIN(group)
