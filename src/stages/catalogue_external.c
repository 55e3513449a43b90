/**
 * @file catalogue_external.c
 * @brief `synobs catalogue` with `external = GLOB`: an external layout-A catalogue (one HDF5 file
 * per snapshot, spec analogues.md 2.4) converted into the catalogue file of 2.3, so that features
 * and match read simulations and the synthetic catalogue alike. Files are taken in sorted name
 * order and split across ranks in contiguous blocks; the scalars become metadata through the unit
 * map of the parameter file (the public data store none); what layout A does not hold (the
 * secondary, the separation, the lines of sight) is absent, not invented.
 */
#include "stages/catalogue_external.h"

#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/log.h"
#include "core/progress.h"
#include "io/h5util.h"
#include "io/layout_a.h"
#include "io/shard.h"
#include "mpi/collective.h"
#include "mpi/decomp.h"

#define C "catalogue"
#define DEG (3.14159265358979323846 / 180.0)

/* scalar i of layout_a_scalar_names -> metadata name, units and the unit-map key */
static const struct {
    const char *meta, *units, *key, *description;
} scalar_meta[LAYOUT_A_NSCALAR] = {
    {"Menv", "Msun", "external_envelope_mass_unit", "envelope mass (Envelope_mass)"},
    {"Mdot1", "Msun/yr", "external_accretion_unit", "primary accretion rate (accretion_rate)"},
    {"T1", "K", "external_temperature_unit", "temperature (temperature)"},
    {"M1", "Msun", "external_mass_unit", "primary mass (mass)"},
    {"dsize1", "AU", "external_disk_size_unit", "primary disk radius (disk_size)"},
    {"L1", "Lsun", "external_luminosity_unit", "primary luminosity (luminosity)"},
    {"t1", "kyr", "external_age_unit", "primary age (age)"},
};

int external_files(const params *ps, char ***files, int *n)
{
    const char *pattern = params_string(ps, C, "external");
    glob_t g;
    int rc = glob(pattern, 0, NULL, &g);
    if (rc != 0 || g.gl_pathc == 0) {
        if (rc == 0) globfree(&g);
        return error_set("%s: [catalogue] external = %s matches no file", params_origin(ps, C, "external"), pattern);
    }
    *n = (int)g.gl_pathc; /* glob sorts the names */
    *files = xmalloc(g.gl_pathc * sizeof **files);
    for (size_t i = 0; i < g.gl_pathc; i++) (*files)[i] = xstrdup(g.gl_pathv[i]);
    globfree(&g);
    return 0;
}

int external_phi(const params *ps, double phi[LAYOUT_A_NPROJ])
{
    const char *text = params_string(ps, C, "external_projection_phi_deg");
    char *copy = xstrdup(text), *save = NULL;
    int k = 0;
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        char *end;
        double v = strtod(t, &end);
        if (*end || k == LAYOUT_A_NPROJ || !isfinite(v)) {
            error_set("%s: [catalogue] external_projection_phi_deg needs 8 numbers (degrees), one per projection",
                      params_origin(ps, C, "external_projection_phi_deg"));
            free(copy);
            return -1;
        }
        phi[k++] = v * DEG;
    }
    free(copy);
    if (k != LAYOUT_A_NPROJ)
        return error_set("%s: [catalogue] external_projection_phi_deg has %d numbers, not 8",
                         params_origin(ps, C, "external_projection_phi_deg"), k);
    return 0;
}

typedef struct {
    const params *ps;
    const char *const *files;
    int n;
} hook_ctx;

static void master_hook(hid_t f, void *vctx)
{
    const hook_ctx *h = vctx;
    hid_t d = H5Dopen2(f, "images", H5P_DEFAULT);
    H5_CHECK(d);
    h5_attr_string(d, "units", params_string(h->ps, C, "external_image_units"));
    h5_attr_string(d, "observable", "external");
    h5_attr_f64(d, "pixel_scale_au", params_real(h->ps, C, "external_pixel_au"));
    h5_attr_f64(d, "beam_fwhm_au", 0.0);
    h5_attr_string(d, "orientation", "as stored: images[s, k-1] is intensity_projection_k of file s (sorted names)");
    H5Dclose(d);
    hid_t g = H5Gcreate2(f, "systems", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(g);
    h5_attr_string(g, "source", params_string(h->ps, C, "external"));
    hsize_t one = 1;
    hid_t st = H5Tcopy(H5T_C_S1), s = H5Screate_simple(1, &one, NULL);
    H5Tset_size(st, 32);
    char name[32] = "external";
    hid_t dn = H5Dcreate2(g, "names", st, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(H5Dwrite(dn, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, name));
    H5Dclose(dn), H5Sclose(s), H5Tclose(st), H5Gclose(g);
}

int catalogue_convert_external(const params *ps, const char *params_text, const char *out)
{
    char **files = NULL;
    int n = 0, H = 0, W = 0;
    double phi[LAYOUT_A_NPROJ];
    int rc = external_files(ps, &files, &n) != 0 || external_phi(ps, phi) != 0;
    if (!rc && log_rank() == 0) rc = layout_a_probe(files[0], &H, &W) != 0;
    collective_fail_if(rc);
    int hw[2] = {H, W};
    MPI_CHECK(MPI_Bcast(hw, 2, MPI_INT, 0, MPI_COMM_WORLD));
    H = hw[0], W = hw[1];
    collective_fail_if(log_rank() == 0 && path_make_parent(out) != 0);
    enum { NF = 3 + LAYOUT_A_NSCALAR };
    shard_field f[NF] = {
        {"images", SHARD_FIELD_F32, 0, params_string(ps, C, "external_image_units"), "images (snapshot, projection, row, column)", 3, {LAYOUT_A_NPROJ, H, W}},
        {"meta/snapshot", SHARD_FIELD_I64, 0, "", "index of the file in sorted name order", 0, {0}},
        {"los/phi", SHARD_FIELD_F64, LAYOUT_A_NPROJ, "rad", "azimuth of projection k (external_projection_phi_deg)", 0, {0}},
    };
    char names[LAYOUT_A_NSCALAR][40];
    for (int i = 0; i < LAYOUT_A_NSCALAR; i++) {
        snprintf(names[i], sizeof names[i], "meta/%s", scalar_meta[i].meta);
        f[3 + i] = (shard_field){names[i], SHARD_FIELD_F64, 0, scalar_meta[i].units, scalar_meta[i].description, 0, {0}};
    }
    int64_t first, count;
    decomp_block(n, log_rank(), log_size(), &first, &count);
    hook_ctx hc = {ps, (const char *const *)files, n};
    shard_writer *w = shard_writer_open_fields(out, count, f, NF, "catalogue", params_text,
                                               "synobs catalogue (converted from layout A): images (N, 8, H, W), meta/*, los/phi",
                                               master_hook, &hc);
    float *img = xmalloc((size_t)LAYOUT_A_NPROJ * H * W * sizeof *img);
    double unit[LAYOUT_A_NSCALAR];
    for (int i = 0; i < LAYOUT_A_NSCALAR; i++) unit[i] = params_real(ps, C, scalar_meta[i].key);
    progress pr;
    progress_start(&pr, "catalogue: converting layout A (rank 0's share)", "files", count, 4.0 * LAYOUT_A_NPROJ * H * W);
    int bad = 0;
    for (int64_t i = first; i < first + count && !bad; i++) {
        double sc[LAYOUT_A_NSCALAR];
        if (layout_a_read(files[i], H, W, img, sc) != 0) {
            bad = 1; /* agreed on below: every rank stops, the shards are removed */
            break;
        }
        int64_t l = i - first, idx = i;
        shard_write_field(w, 0, l, 1, img);
        shard_write_field(w, 1, l, 1, &idx);
        shard_write_field(w, 2, l, 1, phi);
        for (int k = 0; k < LAYOUT_A_NSCALAR; k++) {
            double v = sc[k] * unit[k];
            shard_write_field(w, 3 + k, l, 1, &v);
        }
        progress_update(&pr, l + 1);
    }
    collective_fail_if(bad);
    shard_writer_finish(w);
    message0("catalogue: converted %d layout-A files (%d x %d, 8 projections) to %s", n, H, W, out);
    for (int i = 0; i < n; i++) free(files[i]);
    free(files), free(img);
    return 0;
}
