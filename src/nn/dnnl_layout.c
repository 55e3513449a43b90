/**
 * @file dnnl_layout.c
 * @brief oneDNN primitives in their chosen layouts, reordered from and to plain ones (see the header).
 */
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "nn/dnnl_layout.h"

void nn_dnnl_ctx_init(nn_dnnl_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    DNNL_CHECK(dnnl_engine_create(&ctx->engine, dnnl_cpu, 0));
    DNNL_CHECK(dnnl_stream_create(&ctx->stream, ctx->engine, dnnl_stream_default_flags));
}

void nn_dnnl_ctx_free(nn_dnnl_ctx *ctx)
{
    for (int i = 0; i < NN_DNNL_MAX_ARGS; i++) free(ctx->scratch[i]);
    dnnl_stream_destroy(ctx->stream);
    dnnl_engine_destroy(ctx->engine);
    memset(ctx, 0, sizeof *ctx);
}

/* Scratch buffer i, at least `bytes` long (64-byte aligned: oneDNN's vector loads). */
static void *scratch(nn_dnnl_ctx *ctx, int i, size_t bytes)
{
    if (ctx->scratch_bytes[i] < bytes) {
        free(ctx->scratch[i]);
        ctx->scratch[i] = xaligned64(bytes);
        ctx->scratch_bytes[i] = bytes;
    }
    return ctx->scratch[i];
}

static dnnl_primitive_t make_reorder(const nn_dnnl_ctx *ctx, const dnnl_memory_desc_t *from,
                                     const dnnl_memory_desc_t *to)
{
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t p;
    DNNL_CHECK(dnnl_reorder_primitive_desc_create(&pd, from, ctx->engine, to, ctx->engine, NULL));
    DNNL_CHECK(dnnl_primitive_create(&p, pd));
    dnnl_primitive_desc_destroy(pd);
    return p;
}

void nn_dnnl_prim_make(nn_dnnl_ctx *ctx, nn_dnnl_prim *p, const_dnnl_primitive_desc_t pd, int nargs,
                       const nn_dnnl_argspec *spec)
{
    memset(p, 0, sizeof *p);
    DNNL_CHECK(dnnl_primitive_create(&p->prim, pd));
    p->nargs = nargs;
    for (int i = 0; i < nargs; i++) {
        nn_dnnl_arg *a = &p->args[i];
        a->arg = spec[i].arg;
        a->output = spec[i].output;
        a->plain = spec[i].plain;
        a->chosen = *dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, a->arg);
        if (dnnl_memory_desc_equal(&a->plain, &a->chosen)) continue;
        a->reorder = a->output ? make_reorder(ctx, &a->chosen, &a->plain) : make_reorder(ctx, &a->plain, &a->chosen);
    }
}

static void run_reorder(nn_dnnl_ctx *ctx, dnnl_primitive_t r, const dnnl_memory_desc_t *from_md, void *from,
                        const dnnl_memory_desc_t *to_md, void *to)
{
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, NULL}, {DNNL_ARG_TO, NULL}};
    DNNL_CHECK(dnnl_memory_create(&args[0].memory, from_md, ctx->engine, from));
    DNNL_CHECK(dnnl_memory_create(&args[1].memory, to_md, ctx->engine, to));
    DNNL_CHECK(dnnl_primitive_execute(r, ctx->stream, 2, args));
    DNNL_CHECK(dnnl_stream_wait(ctx->stream));
    dnnl_memory_destroy(args[0].memory);
    dnnl_memory_destroy(args[1].memory);
}

void nn_dnnl_prim_run(nn_dnnl_ctx *ctx, const nn_dnnl_prim *p, void *const *ptr)
{
    void *at[NN_DNNL_MAX_ARGS];
    for (int i = 0; i < p->nargs; i++) {
        const nn_dnnl_arg *a = &p->args[i];
        at[i] = ptr[i];
        if (!a->reorder) continue;
        at[i] = scratch(ctx, i, dnnl_memory_desc_get_size(&a->chosen));
        if (!a->output) run_reorder(ctx, a->reorder, &a->plain, ptr[i], &a->chosen, at[i]);
    }
    nn_dnnl_marg m[NN_DNNL_MAX_ARGS];
    for (int i = 0; i < p->nargs; i++) m[i] = (nn_dnnl_marg){p->args[i].arg, &p->args[i].chosen, at[i]};
    nn_dnnl_execute(ctx, p->prim, p->nargs, m);
    for (int i = 0; i < p->nargs; i++) {
        const nn_dnnl_arg *a = &p->args[i];
        if (a->reorder && a->output) run_reorder(ctx, a->reorder, &a->chosen, at[i], &a->plain, ptr[i]);
    }
}

size_t nn_dnnl_prim_packed_bytes(const nn_dnnl_prim *p, int i)
{
    return dnnl_memory_desc_get_size(&p->args[i].chosen);
}

void nn_dnnl_prim_pack(nn_dnnl_ctx *ctx, nn_dnnl_prim *p, int i, const void *plain, void *packed)
{
    nn_dnnl_arg *a = &p->args[i];
    if (a->reorder) {
        run_reorder(ctx, a->reorder, &a->plain, (void *)plain, &a->chosen, packed);
        dnnl_primitive_destroy(a->reorder);
        a->reorder = NULL;
    } else {
        memcpy(packed, plain, dnnl_memory_desc_get_size(&a->chosen));
    }
    a->plain = a->chosen;
}

bool nn_dnnl_prim_reorders(const nn_dnnl_prim *p)
{
    for (int i = 0; i < p->nargs; i++)
        if (p->args[i].reorder) return true;
    return false;
}

void nn_dnnl_prim_free(nn_dnnl_prim *p)
{
    if (p->prim) dnnl_primitive_destroy(p->prim);
    for (int i = 0; i < p->nargs; i++)
        if (p->args[i].reorder) dnnl_primitive_destroy(p->args[i].reorder);
    memset(p, 0, sizeof *p);
}

void nn_dnnl_execute(nn_dnnl_ctx *ctx, dnnl_primitive_t p, int nargs, const nn_dnnl_marg *a)
{
    dnnl_exec_arg_t args[NN_DNNL_MAX_ARGS];
    for (int i = 0; i < nargs; i++) {
        args[i].arg = a[i].arg;
        DNNL_CHECK(dnnl_memory_create(&args[i].memory, a[i].md, ctx->engine, (void *)a[i].ptr));
    }
    DNNL_CHECK(dnnl_primitive_execute(p, ctx->stream, nargs, args));
    DNNL_CHECK(dnnl_stream_wait(ctx->stream));
    for (int i = 0; i < nargs; i++) dnnl_memory_destroy(args[i].memory);
}
