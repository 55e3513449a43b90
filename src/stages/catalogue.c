/**
 * @file catalogue.c
 * @brief `synobs catalogue`: the catalogue of synthetic forming binaries (spec catalogue.md,
 * analogues.md 2.3). Snapshots of every system, split across ranks in contiguous blocks, each made
 * into its metadata and its observers' images on its own rank (catalogue/snapshot.c), written as
 * sharded HDF5 with a master of virtual datasets: images (N, observers, H, W) float32, meta/..., 
 * los/..., systems/..., provenance. Snapshots are stored in system-then-time order and nothing in a
 * snapshot depends on which rank made it, so the data are the same at any rank count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue/snapshot.h"
#include "core/check.h"
#include "core/log.h"
#include "core/progress.h"
#include "io/h5util.h"
#include "io/provenance.h"
#include "io/shard.h"
#include "mpi/collective.h"
#include "mpi/decomp.h"
#include "stages/catalogue_external.h"
#include "stages/plan.h"
#include "stages/stage.h"

static const char *const catalogue_sections[] = {"catalogue", NULL};

/* The output of one observable: OUTPUT itself with one observable, OUTPUT_STEM_<observable>.h5 with two. */
static char *observable_output(const char *output, const char *obs, int nobs)
{
    if (nobs == 1) return xstrdup(output);
    char *p = xmalloc(strlen(output) + strlen(obs) + 8);
    const char *dot = strrchr(output, '.'), *slash = strrchr(output, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - output) : strlen(output);
    sprintf(p, "%.*s_%s%s", (int)stem, output, obs, dot && (!slash || dot > slash) ? dot : ".h5");
    return p;
}

static int observables(const params *ps, char list[2][16])
{
    char *copy = xstrdup(params_string(ps, "catalogue", "observables")), *save = NULL;
    int n = 0;
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if ((strcmp(t, "continuum") != 0 && strcmp(t, "moment1") != 0) || n == 2 || (n == 1 && strcmp(list[0], t) == 0)) {
            error_set("%s: [catalogue] observables: '%s' is not one of continuum, moment1 (each at most once)",
                      params_origin(ps, "catalogue", "observables"), t);
            free(copy);
            return -1;
        }
        snprintf(list[n++], 16, "%s", t);
    }
    free(copy);
    if (n == 0) return error_set("%s: [catalogue] observables is empty", params_origin(ps, "catalogue", "observables"));
    return n;
}

static int catalogue_check(const params *ps, const char *params_text, stage_plan *plan)
{
    if (params_string(ps, "catalogue", "external")[0]) { /* a conversion: the files, their shape, the unit map */
        char **files;
        int n, H, W;
        double phi[LAYOUT_A_NPROJ];
        if (external_files(ps, &files, &n) != 0 || external_phi(ps, phi) != 0) return -1;
        int rc = layout_a_probe(files[0], &H, &W);
        for (int i = 0; i < n; i++) free(files[i]);
        free(files);
        if (rc != 0 || plan_output(ps, "catalogue", "output") != 0) return -1;
        char why[1024];
        const char *out = params_string(ps, "catalogue", "output");
        if (provenance_matches(out, "catalogue", "catalogue", params_text, why, sizeof why) < 0)
            return error_set("%s: [catalogue] output = %s exists and %s: remove it to make it again, or set another output",
                             params_origin(ps, "catalogue", "output"), out, why);
        plan_add(plan, out, PLAN_OTHER, 0, 0, false);
        return 0;
    }
    char list[2][16];
    int nobs = observables(ps, list);
    if (nobs < 0) return -1;
    if (plan_output(ps, "catalogue", "output") != 0) return -1;
    for (int o = 0; o < nobs; o++) {
        char *out = observable_output(params_string(ps, "catalogue", "output"), list[o], nobs), why[1024];
        int m = provenance_matches(out, "catalogue", "catalogue", params_text, why, sizeof why);
        if (m < 0) {
            error_set("%s: [catalogue] output = %s exists and %s: remove it to make it again, or set another output",
                      params_origin(ps, "catalogue", "output"), out, why);
            free(out);
            return -1;
        }
        plan_add(plan, out, PLAN_OTHER, 0, 0, false);
        free(out);
        if (strcmp(list[o], "moment1") == 0 && plan_lamda(ps, "catalogue") != 0) return -1;
    }
    /* the systems exist: unknown presets, impossible parameters */
    cat_config c;
    int rc = cat_config_init(&c, ps, "continuum");
    /* a separation that no snapshot of any system can show: every image would be the flagged
     * edge-on view (a system that cannot reach it, B3 at 143 AU for one, is kept, flagged
     * los_exact = 0 where d < p, as the spec's [choice]) */
    double reach = 0.0;
    int widest = 0;
    for (int i = 0; rc == 0 && i < c.nsys; i++)
        if (c.sys[i].a * (1.0 + c.sys[i].ecc) > reach) reach = c.sys[i].a * (1.0 + c.sys[i].ecc), widest = i;
    if (rc == 0 && c.proj_sep > reach)
        rc = error_set("%s: [catalogue] projected_separation_au = %g is unreachable: the widest system (%d, %s) never "
                       "separates beyond a (1 + e) = %.1f AU", params_origin(ps, "catalogue", "projected_separation_au"),
                       c.proj_sep / BIN_AU, widest, c.sys[widest].name, reach / BIN_AU);
    cat_config_free(&c);
    if (rc != 0) return -1;
    double H = (double)params_int(ps, "catalogue", "image_pixels");
    double bytes = 8.0 * H * H * (double)params_int(ps, "catalogue", "channels") + 12.0 * H * H * params_int(ps, "catalogue", "observers");
    char what[512];
    snprintf(what, sizeof what, "%s: [catalogue] image_pixels = %.0f", params_origin(ps, "catalogue", "image_pixels"), H);
    return plan_memory(bytes, what);
}

typedef struct {
    const cat_config *c;
    const char *observable;
} hook_ctx;

/* The master's own content: the images' attributes, the systems' names and parameters. */
static void master_hook(hid_t f, void *vctx)
{
    const hook_ctx *h = vctx;
    const cat_config *c = h->c;
    hid_t d = H5Dopen2(f, "images", H5P_DEFAULT);
    H5_CHECK(d);
    h5_attr_string(d, "units", cat_image_units(c));
    h5_attr_string(d, "observable", h->observable);
    h5_attr_f64(d, "pixel_scale_au", c->rs.pixel / BIN_AU);
    h5_attr_f64(d, "field_of_view_au", c->rs.pixel / BIN_AU * c->rs.width);
    h5_attr_f64(d, "beam_fwhm_au", c->beam.fwhm_major * c->rs.pixel / BIN_AU);
    h5_attr_f64(d, "beam_minor_au", c->beam.fwhm_minor * c->rs.pixel / BIN_AU);
    h5_attr_f64(d, "distance_pc", c->rs.distance / 3.0856775814913673e16);
    h5_attr_f64(d, "frequency_hz", c->rs.mode == RENDER_DUST ? c->rs.freq : c->line.nu0);
    h5_attr_string(d, "orientation", "row 0 = top (the primary above the secondary), column 0 = left; images[s, k-1] is observer k");
    H5Dclose(d);
    /* the profiles' shells (analogues.md 2.3: stored with the profiles) */
    double edges_au[PROFILE_NSHELL + 1];
    for (int k = 0; k <= PROFILE_NSHELL; k++) edges_au[k] = c->shell_edges[k] / BIN_AU;
    hsize_t ne = PROFILE_NSHELL + 1;
    hid_t es = H5Screate_simple(1, &ne, NULL), ed = H5Dcreate2(f, "meta/shell_edges_au", H5T_IEEE_F64LE, es, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(ed);
    H5_CHECK(H5Dwrite(ed, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, edges_au));
    h5_attr_string(ed, "units", "AU");
    h5_attr_string(ed, "description", "edges of the 50 logarithmic shells of meta/Lprof* and meta/vprof* (2 pixels to 500 AU)");
    H5Dclose(ed), H5Sclose(es);
    hid_t g = H5Gcreate2(f, "systems", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(g);
    hsize_t n = (hsize_t)c->nsys, dims2[2] = {n, 8};
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, 32);
    char *names = xcalloc(n, 32);
    double *par = xmalloc(n * 8 * sizeof *par);
    for (hsize_t i = 0; i < n; i++) {
        cat_system_ready(c, (int)i); /* the refined semi-major axis, as the ranks that made its snapshots had it */
        const binary_params *p = &c->sys[i];
        snprintf(names + 32 * i, 32, "%s", p->name);
        double v[8] = {p->t_end / BIN_KYR, p->m_end[0] / BIN_MSUN, p->m_end[1] / BIN_MSUN, p->n_periods, p->ecc,
                       p->a / BIN_AU, (double)(c->first[i + 1] - c->first[i]), (double)c->first[i]};
        memcpy(par + 8 * i, v, sizeof v);
    }
    hid_t s = H5Screate_simple(1, &n, NULL);
    hid_t dn = H5Dcreate2(g, "names", st, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(H5Dwrite(dn, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, names));
    H5Dclose(dn), H5Sclose(s);
    s = H5Screate_simple(2, dims2, NULL);
    hid_t dp = H5Dcreate2(g, "parameters", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(H5Dwrite(dp, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, par));
    h5_attr_string(dp, "columns", "final age [kyr], final M1 [Msun], final M2 [Msun], periods, eccentricity, a [AU], "
                                  "snapshots, first snapshot index");
    H5Dclose(dp), H5Sclose(s), H5Tclose(st), H5Gclose(g);
    free(names), free(par);
}

enum { F_IMAGES, F_SYSTEM, F_SNAPSHOT, F_J1, F_J2, F_R1, F_R2, F_N, F_U, F_PHI, F_EXACT, F_PSEP, F_S1, F_S2, F_L1, F_L2, F_V1, F_V2, F_META };

static int make_observable(const params *ps, const char *params_text, const char *obs, const char *out)
{
    int made = 0;
    if (log_rank() == 0) {
        char why[1024];
        made = provenance_matches(out, "catalogue", "catalogue", params_text, why, sizeof why) == 1;
    }
    MPI_Bcast(&made, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (made) {
        message0("catalogue: %s is complete and was made with these [catalogue] parameters: nothing to do", out);
        return 0;
    }
    collective_fail_if(log_rank() == 0 && path_make_parent(out) != 0);
    cat_config c;
    collective_fail_if(cat_config_init(&c, ps, obs) != 0);
    int K = c.observers, H = c.rs.height, W = c.rs.width;
    shard_field f[F_META + CAT_NMETA] = {
        {"images", SHARD_FIELD_F32, 0, cat_image_units(&c), "images (snapshot, observer, row, column)", 3, {K, H, W}},
        {"meta/system_id", SHARD_FIELD_I64, 0, "", "index into /systems", 0, {0}},
        {"meta/snapshot", SHARD_FIELD_I64, 0, "", "snapshot number within its system (time order)", 0, {0}},
        {"meta/J1", SHARD_FIELD_F64, 3, "", "primary disk angular-momentum direction (unit vector)", 0, {0}},
        {"meta/J2", SHARD_FIELD_F64, 3, "", "secondary disk angular-momentum direction (unit vector)", 0, {0}},
        {"meta/r1_au", SHARD_FIELD_F64, 3, "AU", "primary position (barycentric, simulation frame)", 0, {0}},
        {"meta/r2_au", SHARD_FIELD_F64, 3, "AU", "secondary position", 0, {0}},
        {"los/n", SHARD_FIELD_F64, 0, "", "unit vector towards observer k", 2, {K, 3}},
        {"los/u", SHARD_FIELD_F64, 0, "", "image up vector (the primary exactly above the secondary)", 2, {K, 3}},
        {"los/phi", SHARD_FIELD_F64, K, "rad", "azimuth of observer k on the cone, (k-1) 2 pi / observers", 0, {0}},
        {"los/los_exact", SHARD_FIELD_I64, K, "", "1: on the cone; 0: separation below the target, edge-on view", 0, {0}},
        {"los/projected_separation_au", SHARD_FIELD_F64, K, "AU", "projected separation seen", 0, {0}},
        {"los/star1_px", SHARD_FIELD_F64, 0, "pixels", "primary (row, column); pixel centres at integers", 2, {K, 2}},
        {"los/star2_px", SHARD_FIELD_F64, 0, "pixels", "secondary (row, column)", 2, {K, 2}},
        {"meta/Lprof1", SHARD_FIELD_F64, 0, "AU km/s",
         "mass-weighted specific angular momentum of the gas about the primary, per shell of meta/shell_edges_au (NaN: no gas)", 2,
         {PROFILE_NSHELL, 3}},
        {"meta/Lprof2", SHARD_FIELD_F64, 0, "AU km/s", "the same about the secondary", 2, {PROFILE_NSHELL, 3}},
        {"meta/vprof1", SHARD_FIELD_F64, PROFILE_NSHELL, "km/s",
         "mass-weighted radial velocity of the gas relative to the primary, per shell (negative: infall)", 0, {0}},
        {"meta/vprof2", SHARD_FIELD_F64, PROFILE_NSHELL, "km/s", "the same about the secondary", 0, {0}},
    };
    char names[CAT_NMETA][40];
    for (int i = 0; i < CAT_NMETA; i++) {
        snprintf(names[i], sizeof names[i], "meta/%s", cat_meta_names[i]);
        f[F_META + i] = (shard_field){names[i], SHARD_FIELD_F64, 0, cat_meta_units[i], cat_meta_descriptions[i], 0, {0}};
    }
    int64_t g0, count;
    decomp_block(c.nsnap, log_rank(), log_size(), &g0, &count);
    hook_ctx hc = {&c, obs};
    shard_writer *w = shard_writer_open_fields(out, count, f, F_META + CAT_NMETA, "catalogue", params_text,
                                               "synobs catalogue: images (N, observers, H, W), meta/*, los/*, systems/*",
                                               master_hook, &hc);
    size_t np = (size_t)K * H * W;
    float *img = xmalloc(np * sizeof *img);
    progress pr;
    char what[128];
    snprintf(what, sizeof what, "catalogue %s (rank 0's share)", obs);
    progress_start(&pr, what, "snapshots", count, 4.0 * (double)np);
    for (int64_t g = g0; g < g0 + count; g++) {
        int sys;
        double t;
        cat_locate(&c, g, &sys, &t);
        cat_snapshot m;
        cat_system_ready(&c, sys);
        cat_snapshot_make(&c, &c.sys[sys], t, &m, img);
        int64_t l = g - g0, ids[2] = {sys, g - c.first[sys]}, exact[16];
        double n[16][3], u[16][3], phi[16], psep[16];
        for (int k = 0; k < K; k++) {
            memcpy(n[k], m.view[k].n, sizeof n[k]), memcpy(u[k], m.view[k].u, sizeof u[k]);
            phi[k] = m.view[k].phi, psep[k] = m.view[k].proj_sep / BIN_AU, exact[k] = m.view[k].exact;
        }
        double s1[16][2], s2[16][2];
        for (int k = 0; k < K; k++) s1[k][0] = m.star_px[k][0][0], s1[k][1] = m.star_px[k][0][1], s2[k][0] = m.star_px[k][1][0], s2[k][1] = m.star_px[k][1][1];
        shard_write_field(w, F_IMAGES, l, 1, img);
        shard_write_field(w, F_SYSTEM, l, 1, &ids[0]);
        shard_write_field(w, F_SNAPSHOT, l, 1, &ids[1]);
        shard_write_field(w, F_J1, l, 1, m.J[0]), shard_write_field(w, F_J2, l, 1, m.J[1]);
        shard_write_field(w, F_R1, l, 1, m.r_au[0]), shard_write_field(w, F_R2, l, 1, m.r_au[1]);
        shard_write_field(w, F_N, l, 1, n), shard_write_field(w, F_U, l, 1, u), shard_write_field(w, F_PHI, l, 1, phi);
        shard_write_field(w, F_EXACT, l, 1, exact), shard_write_field(w, F_PSEP, l, 1, psep);
        shard_write_field(w, F_S1, l, 1, s1), shard_write_field(w, F_S2, l, 1, s2);
        shard_write_field(w, F_L1, l, 1, m.Lprof[0]), shard_write_field(w, F_L2, l, 1, m.Lprof[1]);
        shard_write_field(w, F_V1, l, 1, m.vprof[0]), shard_write_field(w, F_V2, l, 1, m.vprof[1]);
        for (int i = 0; i < CAT_NMETA; i++) shard_write_field(w, F_META + i, l, 1, &m.meta[i]);
        progress_update(&pr, l + 1);
    }
    shard_writer_finish(w);
    message0("catalogue: wrote %lld snapshots x %d observers (%s, %d x %d pixels of %g AU) of %d systems to %s",
             (long long)c.nsnap, K, obs, H, W, c.rs.pixel / BIN_AU, c.nsys, out);
    free(img);
    cat_config_free(&c);
    return 0;
}

static int catalogue_run(const params *ps, const char *params_text)
{
    if (params_string(ps, "catalogue", "external")[0]) {
        const char *out = params_string(ps, "catalogue", "output");
        int made = 0;
        if (log_rank() == 0) {
            char why[1024];
            made = provenance_matches(out, "catalogue", "catalogue", params_text, why, sizeof why) == 1;
        }
        MPI_Bcast(&made, 1, MPI_INT, 0, MPI_COMM_WORLD);
        if (made) {
            message0("catalogue: %s is complete and was made with these [catalogue] parameters: nothing to do", out);
            return 0;
        }
        return catalogue_convert_external(ps, params_text, out);
    }
    char list[2][16];
    int nobs = observables(ps, list);
    collective_fail_if(nobs < 0);
    for (int o = 0; o < nobs; o++) {
        char *out = observable_output(params_string(ps, "catalogue", "output"), list[o], nobs);
        make_observable(ps, params_text, list[o], out);
        free(out);
    }
    return 0;
}

const stage stage_catalogue = {
    .name = "catalogue",
    .summary = "synthetic forming binaries: snapshots x observers on the cone, dust continuum or moment-1 images, metadata",
    .params = catalogue_params,
    .sections = catalogue_sections,
    .run = catalogue_run,
    .check = catalogue_check,
};
