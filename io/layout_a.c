#include "io/layout_a.h"

#include <errno.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/check.h"
#include "io/h5util.h"

const char *const layout_a_scalar_names[LAYOUT_A_NSCALAR] = {
    "Envelope_mass", "accretion_rate", "temperature", "mass", "disk_size", "luminosity", "age",
};

/* Open the file read-only; a missing or unreadable file and a non-HDF5 file are told apart. */
static hid_t open_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        error_set("%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    fclose(fp);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) h5_input_error(path, "not an HDF5 file");
    return f;
}

static int numeric(hid_t d)
{
    hid_t t = H5Dget_type(d);
    if (t < 0) return 0;
    H5T_class_t c = H5Tget_class(t);
    H5Tclose(t);
    return c == H5T_FLOAT || c == H5T_INTEGER;
}

/* Open intensity_projection_k: it must be a 2-D numeric dataset; its shape in *h, *w. */
static hid_t open_projection(hid_t f, const char *path, int k, int *h, int *w)
{
    char name[32];
    snprintf(name, sizeof name, "intensity_projection_%d", k);
    htri_t there = H5Lexists(f, name, H5P_DEFAULT);
    if (there < 0) { h5_input_error(path, "cannot look up %s", name); return -1; }
    if (there == 0) {
        if (k == 1) error_set("%s: no dataset %s", path, name);
        else error_set("%s: %s is missing", path, name);
        return -1;
    }
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) { h5_input_error(path, "%s is not a dataset", name); return -1; }
    hid_t s = H5Dget_space(d);
    int nd = s < 0 ? -1 : H5Sget_simple_extent_ndims(s);
    hsize_t dims[2] = {0, 0};
    if (nd == 2) H5Sget_simple_extent_dims(s, dims, NULL);
    if (s >= 0) H5Sclose(s);
    if (nd != 2) {
        error_set("%s: %s is not a 2-D image (it has %d dimensions)", path, name, nd < 0 ? 0 : nd);
        H5Dclose(d);
        return -1;
    }
    if (!numeric(d)) {
        error_set("%s: %s does not hold numbers", path, name);
        H5Dclose(d);
        return -1;
    }
    if (dims[0] == 0 || dims[1] == 0 || dims[0] > INT_MAX || dims[1] > INT_MAX) {
        error_set("%s: %s has shape %llu x %llu, which cannot be an image", path, name,
                  (unsigned long long)dims[0], (unsigned long long)dims[1]);
        H5Dclose(d);
        return -1;
    }
    *h = (int)dims[0];
    *w = (int)dims[1];
    return d;
}

int layout_a_probe(const char *path, int *height, int *width)
{
    hid_t f = open_file(path);
    if (f < 0) return -1;
    hid_t d = open_projection(f, path, 1, height, width);
    if (d >= 0) H5Dclose(d);
    H5Fclose(f);
    return d < 0 ? -1 : 0;
}

/* One scalar: NaN when absent; present, it must be a scalar or 1-element numeric dataset. */
static int read_scalar(hid_t f, const char *path, const char *name, double *value)
{
    *value = NAN;
    htri_t there = H5Lexists(f, name, H5P_DEFAULT);
    if (there < 0) return h5_input_error(path, "cannot look up %s", name);
    if (there == 0) return 0;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return h5_input_error(path, "%s is not a dataset", name);
    int rc = 0;
    hid_t s = H5Dget_space(d);
    hssize_t n = s < 0 ? -1 : H5Sget_simple_extent_npoints(s);
    H5S_class_t sc = s < 0 ? H5S_NO_CLASS : H5Sget_simple_extent_type(s);
    if (s >= 0) H5Sclose(s);
    if (sc == H5S_NULL || n != 1)
        rc = error_set("%s: %s is not a scalar: it has %lld elements", path, name, (long long)(sc == H5S_NULL ? 0 : n));
    else if (!numeric(d))
        rc = error_set("%s: %s does not hold a number", path, name);
    else if (H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, value) < 0)
        rc = h5_input_error(path, "cannot read %s", name);
    H5Dclose(d);
    return rc;
}

int layout_a_read(const char *path, int height, int width, float *images, double scalars[LAYOUT_A_NSCALAR])
{
    hid_t f = open_file(path);
    if (f < 0) return -1;
    int rc = 0;
    size_t plane = (size_t)height * (size_t)width;
    for (int k = 1; k <= LAYOUT_A_NPROJ && rc == 0; k++) {
        int h = 0, w = 0;
        hid_t d = open_projection(f, path, k, &h, &w);
        if (d < 0) { rc = -1; break; }
        if (h != height || w != width)
            rc = error_set("%s: intensity_projection_%d has shape %d x %d, not %d x %d (the shape of the first file)",
                           path, k, h, w, height, width);
        else if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, images + (size_t)(k - 1) * plane) < 0)
            rc = h5_input_error(path, "cannot read intensity_projection_%d", k);
        H5Dclose(d);
    }
    for (int i = 0; i < LAYOUT_A_NSCALAR && rc == 0; i++)
        rc = read_scalar(f, path, layout_a_scalar_names[i], &scalars[i]);
    H5Fclose(f);
    return rc;
}
