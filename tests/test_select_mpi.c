/* Exact distributed selection and the Chan reduction across ranks (run at 1 and 2 ranks):
 * results must equal sorting, and the reduction must not depend on the rank count. */
#include <math.h>
#include <string.h>

#include "core/check.h"
#include "core/rng.h"
#include "mpi/decomp.h"
#include "mpi/moments_op.h"
#include "mpi/select_mpi.h"
#include "mpi_test.h"
#include "stats/moments.h"
#include "stats/select.h"

static float *make(size_t n, int kind, uint64_t seed)
{
    float *x = xmalloc(n * sizeof *x);
    rng r;
    rng_seed(&r, seed, (uint64_t)kind);
    for (size_t i = 0; i < n; i++) {
        double u = rng_normal(&r);
        switch (kind) {
        case 0: x[i] = (float)u; break;                          /* signed */
        case 1: x[i] = (float)floor(3 * u); break;               /* heavy ties */
        case 2: x[i] = (float)exp(10 * u); break;                /* wide dynamic range */
        default: x[i] = i % 3 ? 0.0f : -0.0f; break;             /* signed zeros only */
        }
    }
    return x;
}

static void test_kth_against_sorting(void **state)
{
    (void)state;
    int rank = log_rank(), size = log_size();
    size_t sizes[] = {1, 2, 3, 10, 11, 1000, 1001, 65537};
    for (int kind = 0; kind < 4; kind++)
        for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
            size_t n = sizes[si];
            float *x = make(n, kind, 99);
            int64_t first, count;
            decomp_block((int64_t)n, rank, size, &first, &count);
            uint64_t ks[] = {0, select_lower_median_rank(n), n - 1};
            for (int j = 0; j < 3; j++) {
                float got = 0;
                assert_int_equal(dselect_kth(x + first, (size_t)count, ks[j], &got), 0);
                float want = select_kth_sorted(x, n, (size_t)ks[j]);
                if (!(got == want)) fail_msg("kind %d n %zu k %llu: got %.9g want %.9g", kind, n, (unsigned long long)ks[j], got, want);
            }
            float dummy;
            assert_int_equal(dselect_kth(x + first, (size_t)count, n, &dummy), -1);
            free(x);
        }
}

static void test_keys_order(void **state)
{
    (void)state;
    float v[] = {-INFINITY, -3e38f, -1.0f, -1e-40f, -0.0f, 0.0f, 1e-45f, 1.0f, 2.0f, 3e38f, INFINITY};
    for (size_t i = 0; i + 1 < sizeof v / sizeof *v; i++) {
        assert_true(select_key(v[i]) < select_key(v[i + 1]));
        float back = select_value(select_key(v[i]));
        assert_memory_equal(&back, &v[i], sizeof back);
    }
}

/* Chunks cut from the global index, merged per rank then across ranks: the same bits as a
 * serial merge of the same chunks in order, whatever the rank count. */
static void test_chan_reduction_rank_independent(void **state)
{
    (void)state;
    size_t n = 200003;
    float *x = make(n, 2, 5);
    for (size_t i = 0; i < n; i++) x[i] = 300.0f + 1e-3f * x[i];
    decomp d;
    decomp_init(&d, (int64_t)n, 4096, log_rank(), log_size());
    moments serial, mine;
    moments_zero(&serial);
    moments_zero(&mine);
    for (int64_t c = 0; c < d.n_chunks; c++) {
        int64_t first, count;
        decomp_chunk(&d, c, &first, &count);
        moments_acc a;
        moments_acc_start(&a, x[first]);
        for (int64_t i = 0; i < count; i += MOMENTS_BLOCK) {
            float mn, mx;
            size_t bad;
            int64_t m = count - i < MOMENTS_BLOCK ? count - i : MOMENTS_BLOCK;
            moments_acc_add_f32(&a, x + first + i, (size_t)m, &mn, &mx, &bad);
        }
        moments m;
        moments_acc_finish(&a, &m);
        moments_merge(&serial, &m);
        if (c >= d.first_chunk && c < d.first_chunk + d.n_local_chunks) moments_merge(&mine, &m);
    }
    moments_allreduce(&mine, 1);
    assert_true(mine.n == (double)n);
    double a = moments_mean(&mine), b = moments_mean(&serial), va = moments_variance(&mine), vb = moments_variance(&serial);
    if (memcmp(&a, &b, sizeof a) || memcmp(&va, &vb, sizeof va))
        fail_msg("rank-count dependence: mean %.17g vs %.17g, variance %.17g vs %.17g", a, b, va, vb);
    free(x);
}

static void test_decomp_covers(void **state)
{
    (void)state;
    for (int64_t n = 0; n < 50; n++)
        for (int size = 1; size < 6; size++) {
            int64_t next = 0;
            for (int r = 0; r < size; r++) {
                int64_t f, c;
                decomp_block(n, r, size, &f, &c);
                assert_int_equal(f, next);
                next += c;
            }
            assert_int_equal(next, n);
        }
}

static const struct CMUnitTest group[] = {
    cmocka_unit_test(test_kth_against_sorting),
    cmocka_unit_test(test_keys_order),
    cmocka_unit_test(test_chan_reduction_rank_independent),
    cmocka_unit_test(test_decomp_covers),
};
MPI_TEST_MAIN(group)
