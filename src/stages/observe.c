/**
 * @file observe.c
 * @brief `synobs observe`: one synthetic observation as a FITS image (catalogue.md 4): a system of
 * a catalogue's family (a preset, or a random system that is not in the catalogue) at a time and
 * observer, through the beam, with Gaussian noise and optional blanking, its noiseless image and
 * true metadata beside it (TRUTH_IMAGE and TRUTH extensions): the ground truth a match is scored on.
 * Rank 0 makes it; other ranks wait.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue/snapshot.h"
#include "core/check.h"
#include "core/log.h"
#include "core/rng.h"
#include "io/fits.h"
#include "io/h5util.h"
#include "mpi/collective.h"
#include "stages/plan.h"
#include "stages/stage.h"

#define O "observe"

static const param_decl observe_params[] = {
    {O, "catalogue", PARAM_STRING, NULL, 0, 0, NULL, "", "a catalogue file (synobs catalogue): its [catalogue] parameters define the family, renderer and observable"},
    {O, "output", PARAM_STRING, NULL, 0, 0, NULL, "", "the observation (FITS)"},
    {O, "system", PARAM_STRING, "", 0, 0, NULL, "", "a preset (B1, B2, B3: the catalogue's own orientation) or random:SEED (a system not in the catalogue); empty: random:<seed>"},
    {O, "time_kyr", PARAM_REAL, "-1", -1, 1e6, NULL, "kyr", "age of the primary (-1: uniform between the secondary's formation and the final age)"},
    {O, "observer", PARAM_INT, "0", 0, 16, NULL, "", "observer k on the cone (1-based; 0: drawn)"},
    {O, "noise", PARAM_REAL, "0", 0, 1e30, NULL, "image units", "Gaussian noise per pixel (Jy/beam with a beam)"},
    {O, "beam_fwhm_au", PARAM_REAL, "-1", -1, 1e6, NULL, "AU", "beam FWHM (circular; -1: the catalogue's beam)"},
    {O, "mask_sigma", PARAM_REAL, "0", 0, 1e6, NULL, "", "pixels below mask_sigma x noise are blanked (NaN); 0: none"},
    {O, "seed", PARAM_INT, "1", 0, 9.2e18, NULL, "", "seed of the drawn system, time, observer and noise"},
    {O, "object", PARAM_STRING, "synobs synthetic binary", 0, 0, NULL, "", "OBJECT keyword"},
    PARAM_END};
static const char *const observe_sections[] = {"observe", NULL};

/* The catalogue's [catalogue] parameters and observable, from its provenance. */
static int read_catalogue(const char *path, params **out, char *observable)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return h5_input_error(path, "cannot open it as a catalogue");
    char *text = xmalloc(PARAMS_TEXT_MAX + 1);
    int rc = h5_attr_read_string(f, "synobs_parameters", text, PARAMS_TEXT_MAX + 1);
    hid_t d = rc == 0 ? H5Dopen2(f, "images", H5P_DEFAULT) : -1;
    if (rc != 0 || d < 0 || h5_attr_read_string(d, "observable", observable, 16) != 0) {
        if (d >= 0) H5Dclose(d);
        H5Fclose(f);
        free(text);
        return error_set("%s: not a synobs catalogue (no synobs_parameters, or no images with an observable)", path);
    }
    H5Dclose(d);
    H5Fclose(f);
    params *ps = params_new(stage_all_params());
    if (params_parse_text(ps, text, path) != 0) {
        params_free(ps);
        free(text);
        return -1;
    }
    free(text);
    *out = ps;
    return 0;
}

static int observe_check(const params *ps, const char *params_text, stage_plan *plan)
{
    (void)params_text;
    if (plan_file_input(plan, ps, O, "catalogue", PLAN_OTHER) != 0) return -1;
    if (plan_output(ps, O, "output") != 0) return -1;
    const char *sys = params_string(ps, O, "system");
    if (sys[0] && strncmp(sys, "random:", 7) != 0 && strcmp(sys, "B1") && strcmp(sys, "B2") && strcmp(sys, "B3"))
        return error_set("%s: [observe] system: unknown system '%s' (B1, B2, B3, or random:SEED)", params_origin(ps, O, "system"), sys);
    plan_add(plan, params_string(ps, O, "output"), PLAN_OTHER, 0, 0, false);
    return 0;
}

static int observe_one(const params *ps, const char *params_text)
{
    const char *cat = params_string(ps, O, "catalogue"), *out = params_string(ps, O, "output");
    const char *sys = params_string(ps, O, "system");
    params *pc = NULL;
    char observable[16];
    if (read_catalogue(cat, &pc, observable) != 0) return -1;
    cat_config c;
    if (cat_config_init(&c, pc, observable) != 0) return -1;
    double bfw = params_real(ps, O, "beam_fwhm_au");
    if (bfw >= 0) c.beam.fwhm_major = c.beam.fwhm_minor = bfw / (c.rs.pixel / BIN_AU), c.beam.pa = 0;
    uint64_t seed = (uint64_t)params_int(ps, O, "seed");
    rng g;
    rng_seed(&g, seed, 0x0b5e77ULL);
    binary_params own = {0}, *p = &own;
    int sys_id = -1;
    if (!sys[0] || strncmp(sys, "random:", 7) == 0) {
        uint64_t s = sys[0] ? strtoull(sys + 7, NULL, 10) : seed;
        /* a stream no catalogue system uses (they use 0 .. nsys-1) */
        if (cat_system_make(pc, "random", s, 0xfeedULL << 32, &own) != 0) return -1;
        snprintf(own.name, sizeof own.name, "random:%llu", (unsigned long long)s);
    } else {
        for (int i = 0; i < c.nsys && sys_id < 0; i++)
            if (strcmp(c.sys[i].name, sys) == 0) sys_id = i;
        if (sys_id >= 0) cat_system_ready(&c, sys_id), p = &c.sys[sys_id];
        else if (cat_system_make(pc, sys, c.seed, 0, &own) != 0) return -1;
    }
    double t = params_real(ps, O, "time_kyr") * BIN_KYR;
    double tr = rng_uniform(&g);
    if (t < 0) t = p->t2_form + tr * (p->t_end - p->t2_form);
    if (t < p->t2_form || t > p->t_end)
        return error_set("%s: [observe] time_kyr = %g is outside the system's span %g .. %g kyr",
                         params_origin(ps, O, "time_kyr"), t / BIN_KYR, p->t2_form / BIN_KYR, p->t_end / BIN_KYR);
    int k = (int)params_int(ps, O, "observer");
    int kr = 1 + (int)(rng_uniform(&g) * c.observers);
    if (k == 0) k = kr;
    if (k > c.observers)
        return error_set("%s: [observe] observer = %d, but the catalogue has %d observers", params_origin(ps, O, "observer"), k, c.observers);
    int H = c.rs.height, W = c.rs.width;
    float *truth = xmalloc((size_t)H * W * sizeof *truth), *img = xmalloc((size_t)H * W * sizeof *img);
    cat_snapshot m;
    cat_snapshot_image(&c, p, t, k - 1, &m, truth);
    double noise = params_real(ps, O, "noise"), mask = params_real(ps, O, "mask_sigma");
    for (size_t i = 0; i < (size_t)H * W; i++) {
        double v = truth[i] + noise * rng_normal(&g);
        img[i] = (float)(mask > 0 && noise > 0 && v < mask * noise ? NAN : v);
    }
    fits_image_header h = {.height = H, .width = W};
    double pix_au = c.rs.pixel / BIN_AU, dist_pc = c.rs.distance / 3.0856775814913673e16;
    h.pixel_deg = fits_pixel_deg(pix_au, dist_pc);
    h.bmaj_deg = c.beam.fwhm_major * h.pixel_deg, h.bmin_deg = c.beam.fwhm_minor * h.pixel_deg, h.bpa_deg = c.beam.pa * 180 / 3.14159265358979323846;
    h.restfrq = c.rs.mode == RENDER_DUST ? c.rs.freq : c.line.nu0;
    h.distance_pc = dist_pc, h.noise = noise, h.mask_sigma = mask;
    snprintf(h.object, sizeof h.object, "%s", params_string(ps, O, "object"));
    snprintf(h.bunit, sizeof h.bunit, "%s", cat_image_units(&c));
    fits_truth tt[CAT_NMETA + 8];
    int n = 0;
    for (int i = 0; i < CAT_NMETA; i++) {
        snprintf(tt[n].name, sizeof tt[n].name, "%s", cat_meta_names[i]);
        snprintf(tt[n].unit, sizeof tt[n].unit, "%s", cat_meta_units[i]);
        tt[n++].value = m.meta[i];
    }
    const cone_view *v = &m.view[k - 1];
    fits_truth extra[] = {{"observer", k, ""}, {"phi", v->phi, "rad"}, {"los_exact", v->exact, ""},
                          {"proj_sep", v->proj_sep / BIN_AU, "AU"}, {"system_id", sys_id, ""},
                          {"star1_row", m.star_px[k - 1][0][0], "pixel"}, {"star1_col", m.star_px[k - 1][0][1], "pixel"},
                          {"star2_row", m.star_px[k - 1][1][0], "pixel"}};
    for (int i = 0; i < 8; i++) tt[n++] = extra[i];
    int rc = path_make_parent(out) != 0 ? -1 : fits_write_image(out, &h, img, truth, tt, n, params_text);
    if (rc == 0)
        message0("observe: %s: %s at t1 = %.3f kyr, observer %d (phi %.0f deg), %d x %d pixels in %s, noise %g", out, p->name,
                 t / BIN_KYR, k, v->phi * 180 / 3.14159265358979323846, H, W, h.bunit, noise);
    free(truth), free(img);
    if (p == &own) binary_free(&own);
    cat_config_free(&c);
    params_free(pc);
    return rc;
}

static int observe_run(const params *ps, const char *params_text)
{
    int rc = log_rank() == 0 ? observe_one(ps, params_text) : 0;
    collective_fail_if(rc != 0);
    return 0;
}

const stage stage_observe = {
    .name = "observe",
    .summary = "one synthetic observation of a catalogue's family as a FITS image, with its true metadata",
    .params = observe_params,
    .sections = observe_sections,
    .run = observe_run,
    .check = observe_check,
};
