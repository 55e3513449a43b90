#include "io/features_file.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/check.h"
#include "core/log.h"
#include "core/params.h"
#include "io/h5util.h"
#include "io/provenance.h"
#include "mpi/collective.h"

int featfile_has(const char *path, const char *dset, const char *params, char *why, size_t n)
{
    if (access(path, F_OK) != 0) return 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return 0;
    int rc = 0;
    if (H5Lexists(f, dset + 1, H5P_DEFAULT) > 0 || H5Lexists(f, dset, H5P_DEFAULT) > 0) {
        hid_t d = H5Oopen(f, dset, H5P_DEFAULT);
        char *have = xmalloc(PARAMS_TEXT_MAX + 1);
        double complete = 0;
        if (d >= 0 && h5_attr_read_f64(d, "complete", &complete) == 0 && complete == 1 &&
            h5_attr_read_string(d, "parameters", have, PARAMS_TEXT_MAX + 1) == 0) {
            if (strcmp(have, params) == 0) rc = 1;
            else {
                /* the first differing line */
                const char *a = have, *b = params;
                while (*a && *b) {
                    const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
                    size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
                    if (la != lb || strncmp(a, b, la) != 0) {
                        snprintf(why, n, "its %s was made with '%.*s', not '%.*s'", dset, (int)la, a, (int)lb, b);
                        break;
                    }
                    a += la + (ea != NULL), b += lb + (eb != NULL);
                }
                rc = -1;
            }
        }
        free(have);
        if (d >= 0) H5Oclose(d);
    }
    H5Fclose(f);
    return rc;
}

static hid_t lcpl_groups(void)
{
    hid_t l = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(l, 1);
    return l;
}

/* Collective: a fresh dataset `name` of n rows of C float32 (C = 0: a vector of n), rank r writing rows [first, first + cnt). */
static hid_t write_collective(hid_t f, const char *name, int64_t n, int C, int64_t first, int64_t cnt, const float *rows)
{
    if (H5Lexists(f, name, H5P_DEFAULT) > 0) H5_CHECK(H5Ldelete(f, name, H5P_DEFAULT));
    int rank = C > 0 ? 2 : 1;
    hsize_t dims[2] = {(hsize_t)n, (hsize_t)(C > 0 ? C : 1)};
    hid_t s = H5Screate_simple(rank, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE), l = lcpl_groups();
    H5_CHECK(H5Pset_obj_track_times(dcpl, 0));
    hid_t d = H5Dcreate2(f, name, H5T_IEEE_F32LE, s, l, dcpl, H5P_DEFAULT);
    H5_CHECK(d);
    hsize_t start[2] = {(hsize_t)first, 0}, count[2] = {(hsize_t)cnt, dims[1]};
    hid_t ms = H5Screate_simple(rank, count[0] ? count : (hsize_t[2]){1, dims[1]}, NULL);
    if (cnt > 0) H5_CHECK(H5Sselect_hyperslab(s, H5S_SELECT_SET, start, NULL, count, NULL));
    else H5Sselect_none(s), H5Sselect_none(ms);
    hid_t x = H5Pcreate(H5P_DATASET_XFER);
    H5_CHECK(H5Pset_dxpl_mpio(x, H5FD_MPIO_COLLECTIVE));
    H5_CHECK(H5Dwrite(d, H5T_NATIVE_FLOAT, ms, s, x, rows));
    H5Pclose(x), H5Sclose(ms), H5Sclose(s), H5Pclose(dcpl), H5Pclose(l);
    return d;
}

int featfile_write(const char *path, const featfile_write_args *a)
{
    int exists = log_rank() == 0 && access(path, F_OK) == 0;
    MPI_CHECK(MPI_Bcast(&exists, 1, MPI_INT, 0, MPI_COMM_WORLD));
    collective_fail_if(log_rank() == 0 && path_make_parent(path) != 0);
    char *tmp = xmalloc(strlen(path) + 16);
    sprintf(tmp, "%s.partial", path);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5_CHECK(H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL));
    hid_t f = exists ? H5Fopen(path, H5F_ACC_RDWR, fapl) : H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    int bad = f < 0;
    int any = 0;
    MPI_CHECK(MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
    if (any) {
        free(tmp);
        return error_set("%s: cannot %s it for writing (%s)", path, exists ? "open" : "create", h5_error_text());
    }
    if (!exists) {
        if (log_rank() == 0) cleanup_register(tmp);
        provenance_write(f, a->stage, a->params_text);
    }
    hid_t d = write_collective(f, a->dset, a->n_total, a->C, a->first, a->n_local, a->rows);
    if (a->attrs) a->attrs(d, a->ctx);
    hid_t o = -1;
    if (a->obs_dset) {
        o = write_collective(f, a->obs_dset, a->C, 0, 0, log_rank() == 0 ? a->C : 0, a->obs);
        if (a->attrs) a->attrs(o, a->ctx);
        h5_attr_f64(o, "complete", 1);
        H5Dclose(o);
    }
    h5_attr_f64(d, "complete", 1); /* last: readers refuse a dataset without it */
    H5Dclose(d);
    H5_CHECK(H5Fclose(f));
    MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
    int rc = 0;
    if (!exists && log_rank() == 0) {
        rc = rename(tmp, path) != 0 ? error_set("%s: cannot rename %s to it", path, tmp) : 0;
        cleanup_unregister(tmp);
    }
    free(tmp);
    collective_fail_if(rc != 0);
    return 0;
}

int featfile_read_rows(const char *path, const char *dset, int64_t first, int64_t n, int *C, int64_t *n_total, float **rows)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return h5_input_error(path, "cannot open the features file");
    hid_t d = H5Lexists(f, dset, H5P_DEFAULT) > 0 ? H5Dopen2(f, dset, H5P_DEFAULT) : -1;
    double complete = 0;
    if (d < 0 || h5_attr_read_f64(d, "complete", &complete) != 0 || complete != 1) {
        if (d >= 0) H5Dclose(d);
        H5Fclose(f);
        return error_set("%s: no complete dataset %s (run synobs features)", path, dset);
    }
    hid_t s = H5Dget_space(d);
    int rank = H5Sget_simple_extent_ndims(s);
    hsize_t dims[2] = {0, 1};
    H5Sget_simple_extent_dims(s, dims, NULL);
    *n_total = (int64_t)dims[0];
    *C = rank == 2 ? (int)dims[1] : (int)dims[0];
    if (rank == 1) { /* a vector: the observation */
        *rows = xmalloc(dims[0] * sizeof **rows);
        H5_CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, *rows));
    } else {
        if (n < 0) n = (int64_t)dims[0] - first;
        hsize_t start[2] = {(hsize_t)first, 0}, cnt[2] = {(hsize_t)n, dims[1]};
        *rows = xmalloc((size_t)(n > 0 ? n : 1) * dims[1] * sizeof **rows);
        if (n > 0) {
            H5_CHECK(H5Sselect_hyperslab(s, H5S_SELECT_SET, start, NULL, cnt, NULL));
            hid_t ms = H5Screate_simple(2, cnt, NULL);
            H5_CHECK(H5Dread(d, H5T_NATIVE_FLOAT, ms, s, H5P_DEFAULT, *rows));
            H5Sclose(ms);
        }
    }
    H5Sclose(s), H5Dclose(d), H5Fclose(f);
    return 0;
}

int featfile_list(const char *path, int with_observation, featfile_set *sets, int max, int *n)
{
    *n = 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return h5_input_error(path, "cannot open the features file");
    if (H5Lexists(f, "features", H5P_DEFAULT) <= 0) {
        H5Fclose(f);
        return error_set("%s: no /features group: not a features file", path);
    }
    int obs = H5Lexists(f, "observation", H5P_DEFAULT) > 0;
    hid_t g = H5Gopen2(f, "features", H5P_DEFAULT);
    H5G_info_t gi, ti, mi;
    H5Gget_info(g, &gi);
    for (hsize_t a = 0; a < gi.nlinks; a++) {
        char model[64], tap[96], mode[32];
        H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, a, model, sizeof model, H5P_DEFAULT);
        hid_t gm = H5Gopen2(g, model, H5P_DEFAULT);
        H5Gget_info(gm, &ti);
        for (hsize_t b = 0; b < ti.nlinks; b++) {
            H5Lget_name_by_idx(gm, ".", H5_INDEX_NAME, H5_ITER_INC, b, tap, sizeof tap, H5P_DEFAULT);
            hid_t gt = H5Gopen2(gm, tap, H5P_DEFAULT);
            H5Gget_info(gt, &mi);
            for (hsize_t c = 0; c < mi.nlinks && *n < max; c++) {
                H5Lget_name_by_idx(gt, ".", H5_INDEX_NAME, H5_ITER_INC, c, mode, sizeof mode, H5P_DEFAULT);
                char twin[340];
                snprintf(twin, sizeof twin, "observation/%s/%s/%s", model, tap, mode);
                if (with_observation && (!obs || H5Lexists(f, twin, H5P_DEFAULT) <= 0)) continue;
                snprintf(sets[(*n)++], sizeof(featfile_set), "%s/%s/%s", model, tap, mode);
            }
            H5Gclose(gt);
        }
        H5Gclose(gm);
    }
    H5Gclose(g), H5Fclose(f);
    return 0;
}
