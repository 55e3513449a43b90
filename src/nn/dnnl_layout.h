/**
 * @file dnnl_layout.h
 * @brief oneDNN primitives run in the memory layouts they choose, behind the plain NCDHW layout the
 * graph keeps.
 *
 * oneDNN's fast convolution kernels want blocked layouts (nCdhw16c activations, OIdhw16i16o
 * weights); on plain layouts it falls back to im2col + gemm, 2-10x slower on COEmuNet's small
 * channel counts. A primitive made here is created with `any` layouts; each argument whose chosen
 * layout differs from the plain one is reordered into a scratch buffer before the call (inputs) or
 * out of it after (outputs). The graph, the loss, the memory ops and the tests keep reading plain
 * tensors. This is what PyTorch's CPU convolutions do too; the reorders cost a few percent of the
 * convolution they serve.
 */
#ifndef SYNOBS_NN_DNNL_LAYOUT_H
#define SYNOBS_NN_DNNL_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include <oneapi/dnnl/dnnl.h>

enum { NN_DNNL_MAX_ARGS = 10 };

/** The engine, the stream, and one scratch buffer per argument position (grown on demand). */
typedef struct {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    void *scratch[NN_DNNL_MAX_ARGS];
    size_t scratch_bytes[NN_DNNL_MAX_ARGS];
} nn_dnnl_ctx;

/** One execute argument: its plain layout, the layout the primitive chose, the reorder between them. */
typedef struct {
    int arg;                    /**< DNNL_ARG_... */
    bool output;                /**< written by the primitive (reordered out after the call) */
    dnnl_memory_desc_t plain;   /**< the layout the caller's pointer has */
    dnnl_memory_desc_t chosen;  /**< the layout the primitive reads or writes */
    dnnl_primitive_t reorder;   /**< plain -> chosen (input) or chosen -> plain (output); NULL if equal */
} nn_dnnl_arg;

typedef struct {
    dnnl_primitive_t prim;
    int nargs;
    nn_dnnl_arg args[NN_DNNL_MAX_ARGS];
} nn_dnnl_prim;

/** An argument of a primitive being made: which, in or out, and the caller's plain layout. */
typedef struct {
    int arg;
    bool output;
    dnnl_memory_desc_t plain;
} nn_dnnl_argspec;

void nn_dnnl_ctx_init(nn_dnnl_ctx *ctx);
void nn_dnnl_ctx_free(nn_dnnl_ctx *ctx);

/** Makes p from pd (which the caller still owns): queries each argument's chosen layout and makes
 * the reorders that the plain layouts need. */
void nn_dnnl_prim_make(nn_dnnl_ctx *ctx, nn_dnnl_prim *p, const_dnnl_primitive_desc_t pd, int nargs,
                       const nn_dnnl_argspec *spec);

/** Runs p on the callers' plain tensors, ptr[i] for p->args[i], reordering where needed. */
void nn_dnnl_prim_run(nn_dnnl_ctx *ctx, const nn_dnnl_prim *p, void *const *ptr);

/** Argument i of p will be given in its chosen layout from now on (a packed copy the caller keeps,
 * such as inference weights): packs plain into packed (nn_dnnl_prim_packed_bytes of it) and drops
 * the reorder. */
size_t nn_dnnl_prim_packed_bytes(const nn_dnnl_prim *p, int i);
void nn_dnnl_prim_pack(nn_dnnl_ctx *ctx, nn_dnnl_prim *p, int i, const void *plain, void *packed);

/** Does p reorder any argument (false: every chosen layout is the plain one)? For the tests. */
bool nn_dnnl_prim_reorders(const nn_dnnl_prim *p);

void nn_dnnl_prim_free(nn_dnnl_prim *p);

/** Runs a primitive on plain memory with no reorders (the non-convolution layers). */
typedef struct {
    int arg;
    const dnnl_memory_desc_t *md;
    const void *ptr;
} nn_dnnl_marg;
void nn_dnnl_execute(nn_dnnl_ctx *ctx, dnnl_primitive_t p, int nargs, const nn_dnnl_marg *a);

#endif
