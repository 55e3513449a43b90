/**
 * @file keras_h5.c
 * @brief Keras-applications HDF5 weight files (see keras_h5.h): `layer_names`, then each layer's
 * `weight_names`, each name opened relative to its layer's group (HDF5 follows the '/' in
 * "block1_conv1/kernel:0" through the nested groups, and "block1_conv1_W_1:0" of the old VGG files
 * is a plain child), every float dataset read as float32.
 */
#include "io/keras_h5.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "core/check.h"
#include "io/h5util.h"
#include "io/sha256.h"

typedef struct {
    int n;
    char **s;
} strlist;

static void strlist_free(strlist *l)
{
    for (int i = 0; i < l->n; i++) free(l->s[i]);
    free(l->s);
    l->n = 0;
    l->s = NULL;
}

static void strlist_push(strlist *l, const char *s, size_t len)
{
    char **grown = xmalloc(sizeof(char *) * (size_t)(l->n + 1));
    if (l->n) memcpy(grown, l->s, sizeof(char *) * (size_t)l->n);
    free(l->s);
    l->s = grown;
    char *c = xmalloc(len + 1);
    memcpy(c, s, len);
    c[len] = '\0';
    l->s[l->n++] = c;
}

/* Append the strings of attribute `name` of loc (fixed or variable length, any rank; an attribute
 * with no elements, as Keras writes an empty weight_names, adds nothing). 0, or -1 when it is not a
 * string attribute (the caller names the place). */
static int attr_strings(hid_t loc, const char *name, strlist *l)
{
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), t = H5Aget_type(a), sp = H5Aget_space(a);
    int rc = -1;
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    if (a < 0 || t < 0 || sp < 0 || n < 0) goto done;
    if (n == 0) {
        rc = 0;
    } else if (H5Tget_class(t) != H5T_STRING) {
        rc = -1;
    } else if (H5Tis_variable_str(t) > 0) {
        char **v = xcalloc((size_t)n, sizeof(char *));
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t));
        if (H5Aread(a, mt, v) >= 0) {
            for (hssize_t i = 0; i < n; i++) strlist_push(l, v[i] ? v[i] : "", v[i] ? strlen(v[i]) : 0);
            rc = 0;
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
        }
        H5Tclose(mt);
        free(v);
    } else {
        size_t sz = H5Tget_size(t);
        char *buf = xcalloc((size_t)n, sz);
        hid_t mt = H5Tcopy(t);
        if (H5Aread(a, mt, buf) >= 0) {
            for (hssize_t i = 0; i < n; i++) {
                const char *s = buf + (size_t)i * sz;
                size_t len = 0;
                while (len < sz && s[len]) len++;
                while (len > 0 && s[len - 1] == ' ') len--; /* space-padded strings */
                strlist_push(l, s, len);
            }
            rc = 0;
        }
        H5Tclose(mt);
        free(buf);
    }
done:
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    return rc;
}

/* The list attribute `base`, or its split form base0, base1, ... (Keras splits attributes over
 * 64,512 bytes). 0; 1 when absent; -1 when present but not strings (*bad names the attribute). */
static int list_attr(hid_t loc, const char *base, strlist *l, char *bad, size_t nbad)
{
    if (H5Aexists(loc, base) > 0) {
        snprintf(bad, nbad, "%s", base);
        return attr_strings(loc, base, l);
    }
    char name[64];
    int k = 0;
    for (;; k++) {
        snprintf(name, sizeof name, "%s%d", base, k);
        if (H5Aexists(loc, name) <= 0) break;
        if (attr_strings(loc, name, l) != 0) {
            snprintf(bad, nbad, "%s", name);
            return -1;
        }
    }
    return k > 0 ? 0 : 1;
}

static const char *class_name(H5T_class_t c)
{
    switch (c) {
    case H5T_INTEGER: return "integer";
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_ARRAY: return "array";
    case H5T_VLEN: return "vlen";
    case H5T_BITFIELD: return "bitfield";
    case H5T_OPAQUE: return "opaque";
    case H5T_REFERENCE: return "reference";
    default: return "unknown";
    }
}

/* Read one tensor: dataset `wname` relative to the layer group. */
static int read_tensor(const char *path, const char *lname, hid_t lg, const char *wname, kh5_tensor *t)
{
    if (strlen(wname) >= sizeof t->name)
        return error_set("%s: layer %s: weight name %s longer than %zu characters", path, lname, wname,
                         sizeof t->name - 1);
    snprintf(t->name, sizeof t->name, "%s", wname);
    hid_t d = H5Dopen2(lg, wname, H5P_DEFAULT);
    if (d < 0) return h5_input_error(path, "layer %s: weight %s: no such dataset", lname, wname);
    hid_t ty = H5Dget_type(d), sp = H5Dget_space(d);
    int rc = -1;
    H5T_class_t cls = H5Tget_class(ty);
    int nd = H5Sget_simple_extent_ndims(sp);
    if (cls != H5T_FLOAT) {
        rc = error_set("%s: layer %s: weight %s: not a float dataset (%s)", path, lname, wname, class_name(cls));
        goto done;
    }
    if (nd < 0 || nd > 4) {
        rc = error_set("%s: layer %s: weight %s: %d dimensions, at most 4 expected", path, lname, wname, nd);
        goto done;
    }
    hsize_t dims[4] = {0};
    H5Sget_simple_extent_dims(sp, dims, NULL);
    size_t count = 1;
    t->ndim = nd;
    for (int i = 0; i < nd; i++) {
        t->shape[i] = (int64_t)dims[i];
        count *= (size_t)dims[i];
    }
    t->data = xmalloc(sizeof(float) * (count ? count : 1));
    if (count > 0 && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data) < 0) {
        rc = h5_input_error(path, "layer %s: weight %s: cannot read", lname, wname);
        goto done;
    }
    rc = 0;
done:
    H5Sclose(sp);
    H5Tclose(ty);
    H5Dclose(d);
    return rc;
}

/* The weights group: the root of a weights-only file, /model_weights of a full-model file. */
static hid_t weights_group(hid_t f)
{
    if (H5Aexists(f, "layer_names") > 0 || H5Aexists(f, "layer_names0") > 0) return H5Gopen2(f, "/", H5P_DEFAULT);
    if (H5Lexists(f, "model_weights", H5P_DEFAULT) > 0) {
        hid_t g = H5Gopen2(f, "model_weights", H5P_DEFAULT);
        if (g >= 0 && (H5Aexists(g, "layer_names") > 0 || H5Aexists(g, "layer_names0") > 0)) return g;
        if (g >= 0) H5Gclose(g);
    }
    return -1;
}

int kh5_read(const char *path, kh5_weights *w)
{
    memset(w, 0, sizeof *w);
    if (sha256_file(path, w->sha256) != 0) return -1;
    if (H5Fis_hdf5(path) <= 0) return h5_input_error(path, "not an HDF5 file");
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return h5_input_error(path, "cannot open");
    char sha[65];
    memcpy(sha, w->sha256, sizeof sha);
    int rc = -1;
    strlist layers = {0}, wn = {0};
    char bad[64];
    hid_t g = weights_group(f), lg = -1;
    if (g < 0) {
        error_set("%s: no layer_names attribute at the root or in /model_weights: not a Keras weight file", path);
        goto done;
    }
    if (list_attr(g, "layer_names", &layers, bad, sizeof bad) != 0) {
        error_set("%s: attribute %s is not a list of strings", path, bad);
        goto done;
    }
    w->layers = xcalloc((size_t)(layers.n ? layers.n : 1), sizeof(kh5_layer));
    for (int i = 0; i < layers.n; i++) {
        const char *ln = layers.s[i];
        if (strlen(ln) >= sizeof w->layers[0].name) {
            error_set("%s: layer name %s longer than %zu characters", path, ln, sizeof w->layers[0].name - 1);
            goto done;
        }
        lg = H5Gopen2(g, ln, H5P_DEFAULT);
        if (lg < 0) {
            h5_input_error(path, "layer %s (in layer_names): no such group", ln);
            goto done;
        }
        int r = list_attr(lg, "weight_names", &wn, bad, sizeof bad);
        if (r != 0) {
            error_set(r > 0 ? "%s: layer %s: no weight_names attribute" : "%s: layer %s: attribute %s is not a list of strings",
                      path, ln, bad);
            goto done;
        }
        if (wn.n > 0) {
            kh5_layer *L = &w->layers[w->nlayers++];
            snprintf(L->name, sizeof L->name, "%s", ln);
            L->t = xcalloc((size_t)wn.n, sizeof(kh5_tensor));
            for (int k = 0; k < wn.n; k++, L->ntensors++)
                if (read_tensor(path, ln, lg, wn.s[k], &L->t[k]) != 0) {
                    L->ntensors++; /* so kh5_free releases its data */
                    goto done;
                }
        }
        strlist_free(&wn);
        H5Gclose(lg);
        lg = -1;
    }
    rc = 0;
done:
    strlist_free(&wn);
    strlist_free(&layers);
    if (lg >= 0) H5Gclose(lg);
    if (g >= 0) H5Gclose(g);
    H5Fclose(f);
    if (rc != 0) kh5_free(w);
    else memcpy(w->sha256, sha, sizeof sha);
    return rc;
}

void kh5_free(kh5_weights *w)
{
    for (int i = 0; i < w->nlayers; i++) {
        for (int k = 0; k < w->layers[i].ntensors; k++) free(w->layers[i].t[k].data);
        free(w->layers[i].t);
    }
    free(w->layers);
    memset(w, 0, sizeof *w);
}

const kh5_layer *kh5_layer_find(const kh5_weights *w, const char *name)
{
    for (int i = 0; i < w->nlayers; i++)
        if (strcmp(w->layers[i].name, name) == 0) return &w->layers[i];
    return NULL;
}
