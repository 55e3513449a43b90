/**
 * @file nnweights.c
 * @brief Graph tensors to and from HDF5 (see nnweights.h).
 */
#include "io/nnweights.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "io/h5util.h"

/* The tensors of one kind: parameter tensors as registered, or each BN layer's two buffers. */
typedef struct {
    char name[176];
    size_t offset, count;
    int ndim;
    hsize_t shape[5];
} tensor_ref;

static int list(const nn_graph *g, nn_h5_kind kind, tensor_ref *out)
{
    int n = 0;
    if (kind == NN_H5_PARAMS) {
        for (int i = 0; i < g->ntensors; i++, n++) {
            const nn_tensor *t = &g->tensors[i];
            if (!out) continue;
            snprintf(out[n].name, sizeof out[n].name, "%s", t->name);
            out[n].offset = t->offset;
            out[n].count = t->count;
            out[n].ndim = t->ndim;
            for (int a = 0; a < t->ndim; a++) out[n].shape[a] = (hsize_t)t->shape[a];
        }
        return n;
    }
    for (int i = 0; i < g->nnodes; i++) {
        const nn_node *node = &g->nodes[i];
        if (node->op != NN_BN) continue;
        for (int k = 0; k < 2; k++, n++) {
            if (!out) continue;
            snprintf(out[n].name, sizeof out[n].name, "%s.%s", node->name, k ? "running_var" : "running_mean");
            out[n].offset = node->running + (size_t)k * node->out.c;
            out[n].count = (size_t)node->out.c;
            out[n].ndim = 1;
            out[n].shape[0] = (hsize_t)node->out.c;
        }
    }
    return n;
}

int nn_h5_read(hid_t file, const char *path, const char *group, const nn_graph *g, nn_h5_kind kind, float *dst)
{
    int n = list(g, kind, NULL);
    tensor_ref *refs = xcalloc((size_t)n, sizeof *refs);
    list(g, kind, refs);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        char where[256];
        snprintf(where, sizeof where, "%s/%s", group, refs[i].name);
        if (H5Lexists(file, group, H5P_DEFAULT) <= 0) {
            rc = error_set("%s: no group '%s'", path, group);
            break;
        }
        if (H5Lexists(file, where, H5P_DEFAULT) <= 0) {
            rc = error_set("%s: no dataset '%s'", path, where);
            break;
        }
        hid_t d = H5Dopen(file, where, H5P_DEFAULT);
        hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
        hsize_t dims[8] = {0};
        int nd = sp >= 0 ? H5Sget_simple_extent_dims(sp, dims, NULL) : -1;
        bool same = nd == refs[i].ndim;
        for (int a = 0; same && a < nd; a++) same = dims[a] == refs[i].shape[a];
        if (d < 0 || nd < 0) rc = h5_input_error(path, "cannot open '%s'", where);
        else if (!same) {
            char want[96] = "", got[96] = "";
            for (int a = 0; a < refs[i].ndim; a++)
                snprintf(want + strlen(want), sizeof want - strlen(want), "%s%llu", a ? "x" : "", (unsigned long long)refs[i].shape[a]);
            for (int a = 0; a < nd; a++)
                snprintf(got + strlen(got), sizeof got - strlen(got), "%s%llu", a ? "x" : "", (unsigned long long)dims[a]);
            rc = error_set("%s: dataset '%s' has shape %s, the model needs %s", path, where, got, want);
        } else if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst + refs[i].offset) < 0)
            rc = h5_input_error(path, "cannot read '%s' as numbers", where);
        if (sp >= 0) H5Sclose(sp);
        if (d >= 0) H5Dclose(d);
    }
    free(refs);
    return rc;
}

void nn_h5_write(hid_t file, const char *group, const nn_graph *g, nn_h5_kind kind, const float *src)
{
    int n = list(g, kind, NULL);
    tensor_ref *refs = xcalloc((size_t)n, sizeof *refs);
    list(g, kind, refs);
    hid_t grp = H5Gcreate(file, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(grp);
    for (int i = 0; i < n; i++) {
        hid_t sp = H5Screate_simple(refs[i].ndim, refs[i].shape, NULL);
        H5_CHECK(sp);
        /* checksummed chunks of at most 4 Mi values along the first axis */
        hsize_t chunk[5], rest = 1;
        for (int a = 0; a < refs[i].ndim; a++) chunk[a] = refs[i].shape[a];
        for (int a = 1; a < refs[i].ndim; a++) rest *= refs[i].shape[a];
        hsize_t rows = ((hsize_t)1 << 22) / rest;
        chunk[0] = rows < 1 ? 1 : rows < chunk[0] ? rows : chunk[0];
        hid_t dcpl = h5_dcpl_chunked(refs[i].ndim, chunk);
        hid_t d = H5Dcreate(grp, refs[i].name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        H5_CHECK(d);
        H5Pclose(dcpl);
        H5_CHECK(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, src + refs[i].offset));
        H5Dclose(d);
        H5Sclose(sp);
    }
    H5Gclose(grp);
    free(refs);
}
