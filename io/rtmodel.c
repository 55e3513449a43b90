/**
 * @file rtmodel.c
 * @brief Reader of one solver input group; every problem names the file, the group and the item.
 */
#include "io/rtmodel.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "io/h5util.h"

/** "group/name" as a user reads it ("/n_CO" for the root group, not "//n_CO"). */
static const char *item(const char *group, const char *name)
{
    static char buf[512];
    size_t n = strlen(group);
    snprintf(buf, sizeof buf, "%s%s%s", group, n && group[n - 1] == '/' ? "" : "/", name);
    return buf;
}

/** Read dataset `name` as doubles; its shape must be `rank` dims equal to dims (0 = any, filled in). */
static double *read_array(hid_t g, const char *path, const char *group, const char *name, int rank, hsize_t *dims,
                          int required)
{
    if (H5Lexists(g, name, H5P_DEFAULT) <= 0) {
        if (required) h5_input_error(path, "group '%s' has no dataset '%s'", group, name);
        return NULL;
    }
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) {
        h5_input_error(path, "cannot open '%s'", item(group, name));
        return NULL;
    }
    hid_t sp = H5Dget_space(d);
    hsize_t got[8] = {0};
    int r = H5Sget_simple_extent_ndims(sp);
    double *buf = NULL;
    int shape_ok = r == rank;
    if (shape_ok) {
        H5Sget_simple_extent_dims(sp, got, NULL);
        for (int i = 0; i < rank; i++) shape_ok &= got[i] > 0 && (dims[i] == 0 || got[i] == dims[i]);
    }
    if (!shape_ok) {
        char want[96] = "", have[96] = "";
        for (int i = 0; i < rank; i++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%llu", i ? "," : "", (unsigned long long)dims[i]);
        for (int i = 0; i < r && i < 8; i++)
            snprintf(have + strlen(have), sizeof have - strlen(have), "%s%llu", i ? "," : "", (unsigned long long)got[i]);
        error_set("%s: '%s' has shape (%s), expected %d dimensions (%s; 0 = any)", path, item(group, name), have, rank, want);
    } else {
        size_t n = 1;
        for (int i = 0; i < rank; i++) n *= (size_t)(dims[i] = got[i]);
        buf = xmalloc(n * sizeof *buf);
        if (H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
            h5_input_error(path, "cannot read '%s' as numbers", item(group, name));
            free(buf);
            buf = NULL;
        }
    }
    H5Sclose(sp);
    H5Dclose(d);
    return buf;
}

int rt_model_read(const char *path, const char *group, rt_model *m)
{
    memset(m, 0, sizeof *m);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return h5_input_error(path, "cannot open as HDF5");
    hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
    if (g < 0) {
        H5Fclose(f);
        return h5_input_error(path, "no group '%s'", group);
    }
    hsize_t cube[3] = {0, 0, 0}, nf[1] = {0};
    int rc = -1;
    if (!(m->vz = read_array(g, path, group, "v_z", 3, cube, 1))) goto done;
    if (!(m->T = read_array(g, path, group, "T", 3, cube, 1))) goto done;
    if (!(m->n = read_array(g, path, group, "n_CO", 3, cube, 1))) goto done;
    if (!(m->freq = read_array(g, path, group, "frequencies", 1, nf, 1))) goto done;
    m->v_turb_field = read_array(g, path, group, "v_turb", 3, cube, 0);
    if (error_pending()) goto done;
    m->nx = (int)cube[0], m->ny = (int)cube[1], m->nz = (int)cube[2], m->nf = (int)nf[0];
    if (h5_attr_read_f64(g, "dx", &m->dx) || !(m->dx > 0)) {
        error_set("%s: group '%s' needs the attribute dx (cell size along z, m, > 0)", path, group);
        goto done;
    }
    if (!m->v_turb_field && (h5_attr_read_f64(g, "v_turb", &m->v_turb) || !(m->v_turb >= 0))) {
        error_set("%s: group '%s' needs the attribute v_turb (m/s, >= 0) or a dataset v_turb", path, group);
        goto done;
    }
    if (h5_attr_read_string(g, "boundary", m->boundary, sizeof m->boundary) ||
        (strcmp(m->boundary, "zero") != 0 && strcmp(m->boundary, "cmb") != 0)) {
        error_set("%s: group '%s' needs the string attribute boundary = \"zero\" or \"cmb\"", path, group);
        goto done;
    }
    for (int i = 0; i < m->nf; i++)
        if (!(m->freq[i] > 0) || m->freq[i] > 1e16) {
            error_set("%s: '%s'[%d] = %g is not a frequency in Hz", path, item(group, "frequencies"), i, m->freq[i]);
            goto done;
        }
    rc = 0;
done:
    H5Gclose(g);
    H5Fclose(f);
    if (rc) rt_model_free(m);
    return rc;
}

void rt_model_free(rt_model *m)
{
    free(m->vz);
    free(m->T);
    free(m->n);
    free(m->v_turb_field);
    free(m->freq);
    memset(m, 0, sizeof *m);
}
