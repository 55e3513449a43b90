/**
 * @file test_dnnl_layout.c
 * @brief oneDNN primitives in their chosen (blocked) layouts behind plain tensors: a 16 -> 16
 * convolution forward, its backward (data and weights) and a packed-weights forward, each against
 * the plain-C reference; that the blocked layouts are really chosen (reorders made), so that the
 * layer tests exercise them; that an argument with the plain layout passes through unreordered.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/check.h"
#include "core/rng.h"
#include "mpi_test.h"
#include "nn/dnnl_layout.h"
#include "nn/ops.h"

enum { B = 2, C = 16, S = 6 };

static double rel(const float *a, const float *b, size_t n)
{
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        s += (double)b[i] * b[i];
    }
    return sqrt(d / s);
}

static dnnl_memory_desc_t md(int ndims, const dnnl_dims_t dims, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t m;
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&m, ndims, dims, dnnl_f32, tag));
    return m;
}

typedef struct {
    nn_dnnl_ctx ctx;
    nn_conv_geom geom;
    dnnl_memory_desc_t src, wei, bias, dst, src_any, wei_any, dst_any;
    dnnl_dims_t s, p;
    float *x, *w, *b, *dy;
    size_t nx, nw, ny;
} fixture;

static void setup(fixture *f)
{
    nn_dims x = {B, C, S, S, S};
    f->geom = (nn_conv_geom){x, x, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}};
    dnnl_dims_t ad = {B, C, S, S, S}, wd = {C, C, 3, 3, 3}, bd = {C};
    f->src = f->dst = md(5, ad, dnnl_abcde);
    f->wei = md(5, wd, dnnl_abcde);
    f->bias = md(1, bd, dnnl_a);
    f->src_any = f->dst_any = md(5, ad, dnnl_format_tag_any);
    f->wei_any = md(5, wd, dnnl_format_tag_any);
    for (int a = 0; a < 3; a++) {
        f->s[a] = 1;
        f->p[a] = 1;
    }
    nn_dnnl_ctx_init(&f->ctx);
    f->nx = f->ny = (size_t)B * C * S * S * S;
    f->nw = (size_t)C * C * 27;
    f->x = xmalloc(f->nx * sizeof(float));
    f->dy = xmalloc(f->ny * sizeof(float));
    f->w = xmalloc(f->nw * sizeof(float));
    f->b = xmalloc(C * sizeof(float));
    rng r;
    rng_seed(&r, 5, 0);
    for (size_t i = 0; i < f->nx; i++) f->x[i] = (float)rng_normal(&r);
    for (size_t i = 0; i < f->ny; i++) f->dy[i] = (float)rng_normal(&r);
    for (size_t i = 0; i < f->nw; i++) f->w[i] = (float)rng_normal(&r) * 0.1f;
    for (int i = 0; i < C; i++) f->b[i] = (float)rng_normal(&r);
}

static void teardown(fixture *f)
{
    nn_dnnl_ctx_free(&f->ctx);
    free(f->x);
    free(f->dy);
    free(f->w);
    free(f->b);
}

static dnnl_primitive_desc_t forward_pd(fixture *f)
{
    dnnl_convolution_desc_t cd;
    DNNL_CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, dnnl_convolution_direct, &f->src_any,
                                                  &f->wei_any, &f->bias, &f->dst_any, f->s, f->p, f->p));
    dnnl_primitive_desc_t pd;
    DNNL_CHECK(dnnl_primitive_desc_create(&pd, &cd, NULL, f->ctx.engine, NULL));
    return pd;
}

static void test_forward_and_packed(void **state)
{
    (void)state;
    fixture f;
    setup(&f);
    dnnl_primitive_desc_t pd = forward_pd(&f);
    nn_dnnl_argspec a[] = {{DNNL_ARG_SRC, false, f.src}, {DNNL_ARG_WEIGHTS, false, f.wei},
                           {DNNL_ARG_BIAS, false, f.bias}, {DNNL_ARG_DST, true, f.dst}};
    nn_dnnl_prim p;
    nn_dnnl_prim_make(&f.ctx, &p, pd, 4, a);
    assert_true(nn_dnnl_prim_reorders(&p));      /* 16 channels: oneDNN picks a blocked layout */
    assert_null(p.args[2].reorder);              /* the bias stays plain */
    float *y = xmalloc(f.ny * sizeof *y), *want = xmalloc(f.ny * sizeof *want);
    nn_ref_conv_forward(&f.geom, f.x, f.w, f.b, want);
    void *ptr[] = {f.x, f.w, f.b, y};
    nn_dnnl_prim_run(&f.ctx, &p, ptr);
    double e = rel(y, want, f.ny);
    /* the weights packed once into the chosen layout, then given as they are */
    void *packed = xmalloc(nn_dnnl_prim_packed_bytes(&p, 1));
    nn_dnnl_prim_pack(&f.ctx, &p, 1, f.w, packed);
    assert_null(p.args[1].reorder);
    memset(y, 0, f.ny * sizeof *y);
    void *ptr2[] = {f.x, packed, f.b, y};
    nn_dnnl_prim_run(&f.ctx, &p, ptr2);
    double e_packed = rel(y, want, f.ny);
    printf("  conv 16->16 k3 blocked forward rel err %.1e, with packed weights %.1e\n", e, e_packed);
    assert_true(e < 1e-6);
    assert_true(e_packed < 1e-6);
    nn_dnnl_prim_free(&p);
    dnnl_primitive_desc_destroy(pd);
    free(packed);
    free(y);
    free(want);
    teardown(&f);
}

static void test_backward(void **state)
{
    (void)state;
    fixture f;
    setup(&f);
    dnnl_primitive_desc_t fpd = forward_pd(&f);
    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t pd;
    nn_dnnl_prim pw, pdata;
    DNNL_CHECK(dnnl_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, &f.src_any, &f.wei_any,
                                                           &f.bias, &f.dst_any, f.s, f.p, f.p));
    DNNL_CHECK(dnnl_primitive_desc_create(&pd, &cd, NULL, f.ctx.engine, fpd));
    nn_dnnl_argspec aw[] = {{DNNL_ARG_SRC, false, f.src}, {DNNL_ARG_DIFF_DST, false, f.dst},
                            {DNNL_ARG_DIFF_WEIGHTS, true, f.wei}, {DNNL_ARG_DIFF_BIAS, true, f.bias}};
    nn_dnnl_prim_make(&f.ctx, &pw, pd, 4, aw);
    dnnl_primitive_desc_destroy(pd);
    DNNL_CHECK(dnnl_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &f.src_any, &f.wei_any,
                                                        &f.dst_any, f.s, f.p, f.p));
    DNNL_CHECK(dnnl_primitive_desc_create(&pd, &cd, NULL, f.ctx.engine, fpd));
    nn_dnnl_argspec ad[] = {{DNNL_ARG_DIFF_DST, false, f.dst}, {DNNL_ARG_WEIGHTS, false, f.wei},
                            {DNNL_ARG_DIFF_SRC, true, f.src}};
    nn_dnnl_prim_make(&f.ctx, &pdata, pd, 3, ad);
    dnnl_primitive_desc_destroy(pd);
    assert_true(nn_dnnl_prim_reorders(&pw));
    assert_true(nn_dnnl_prim_reorders(&pdata));

    float *dx = xmalloc(f.nx * sizeof *dx), *dw = xmalloc(f.nw * sizeof *dw), db[C];
    float *want_dx = xmalloc(f.nx * sizeof *dx), *want_dw = xmalloc(f.nw * sizeof *dw), want_db[C];
    nn_ref_conv_backward(&f.geom, f.x, f.w, f.dy, want_dx, want_dw, want_db);
    void *pw_ptr[] = {f.x, f.dy, dw, db}, *pd_ptr[] = {f.dy, f.w, dx};
    nn_dnnl_prim_run(&f.ctx, &pw, pw_ptr);
    nn_dnnl_prim_run(&f.ctx, &pdata, pd_ptr);
    double e_dx = rel(dx, want_dx, f.nx), e_dw = rel(dw, want_dw, f.nw), e_db = rel(db, want_db, C);
    printf("  conv 16->16 k3 blocked backward rel err dx %.1e, dw %.1e, db %.1e\n", e_dx, e_dw, e_db);
    assert_true(e_dx < 1e-6);
    assert_true(e_dw < 1e-6);
    assert_true(e_db < 1e-6);
    nn_dnnl_prim_free(&pw);
    nn_dnnl_prim_free(&pdata);
    dnnl_primitive_desc_destroy(fpd);
    free(dx);
    free(dw);
    free(want_dx);
    free(want_dw);
    teardown(&f);
}

static const struct CMUnitTest group[] = {cmocka_unit_test(test_forward_and_packed), cmocka_unit_test(test_backward)};

MPI_TEST_MAIN(group)
