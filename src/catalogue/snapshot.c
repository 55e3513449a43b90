/**
 * @file snapshot.c
 * @brief The [catalogue] parameters, the systems they name, and one snapshot made into metadata
 * and images (shared by `synobs catalogue` and `synobs observe`).
 */
#include "catalogue/snapshot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "rt/constants.h"
#include "rt/line.h"

#define PC 3.0856775814913673e16
#define DEG (3.14159265358979323846 / 180.0)

const char *const cat_meta_names[CAT_NMETA] = {"t1", "t2", "M1", "M2", "Mtot", "Mdot1", "Mdot2", "L1", "L2", "dsize1",
                                               "dsize2", "Md1", "Md2", "Mgas100", "sep", "phase"};
const char *const cat_meta_units[CAT_NMETA] = {"kyr", "kyr", "Msun", "Msun", "Msun", "Msun/yr", "Msun/yr", "Lsun", "Lsun",
                                               "AU", "AU", "Msun", "Msun", "Msun", "AU", "orbits"};
const char *const cat_meta_descriptions[CAT_NMETA] = {
    "age of the primary", "age of the secondary", "primary mass", "secondary mass", "M1 + M2",
    "primary accretion rate", "secondary accretion rate", "primary luminosity (accretion + photosphere)",
    "secondary luminosity", "primary disk radius (0: no disk)", "secondary disk radius (0: no disk)",
    "primary disk mass", "secondary disk mass", "gas mass within 100 AU of the primary", "3-D separation",
    "orbital phase in [0, 1) (0: periastron)"};

#define C "catalogue"
#define RANGE(key, lo, hi, units, what)                                                                \
    {C, "random_" key "_min", PARAM_REAL, #lo, -1e30, 1e30, NULL, units, "systems = random:N: lower end of " what}, \
    {C, "random_" key "_max", PARAM_REAL, #hi, -1e30, 1e30, NULL, units, "systems = random:N: upper end of " what}

const param_decl catalogue_params[] = {
    {C, "output", PARAM_STRING, NULL, 0, 0, NULL, "", "catalogue master file (HDF5); shards go to OUTPUT_STEM.shards/; with two observables, OUTPUT_STEM_<observable>.h5"},
    {C, "systems", PARAM_STRING, "B1,B2,B3", 0, 0, NULL, "", "comma-separated systems: presets B1, B2, B3 (the paper's Table 1) and/or random:N (N systems drawn from the random_* ranges)"},
    {C, "seed", PARAM_INT, "2026", 0, 9.2e18, NULL, "", "seed of the systems' orientations and random draws (system i uses stream i)"},
    {C, "cadence", PARAM_REAL, "100", 1e-3, 1e9, NULL, "yr", "time between snapshots (snapshots at t_end - k cadence, back to the secondary's formation)"},
    {C, "observers", PARAM_INT, "8", 1, 16, NULL, "", "observers per snapshot on the cone, at azimuths (k-1) 2 pi / observers"},
    {C, "observables", PARAM_STRING, "continuum", 0, 0, NULL, "", "continuum and/or moment1 (comma-separated): dust continuum, moment-1 map of the line"},
    {C, "image_pixels", PARAM_INT, "800", 4, 8192, NULL, "pixels", "image size (square)"},
    {C, "pixel_au", PARAM_REAL, "2.5", 1e-4, 1e6, NULL, "AU", "pixel size"},
    {C, "projected_separation_au", PARAM_REAL, "143", 1e-3, 1e6, NULL, "AU", "target projected separation p of the cone (IRAS-2A's VLA1-VLA2 at 230 pc)"},
    {C, "centre", PARAM_CHOICE, "midpoint", 0, 0, "midpoint|primary|barycentre", "", "the model point at the image centre"},
    {C, "distance_pc", PARAM_REAL, "230", 1e-6, 1e12, NULL, "pc", "distance of the source"},
    {C, "beam_fwhm_au", PARAM_REAL, "0", 0, 1e6, NULL, "AU", "beam major-axis FWHM (0: no beam, images in Jy/pixel; else Jy/beam)"},
    {C, "beam_minor_au", PARAM_REAL, "0", 0, 1e6, NULL, "AU", "beam minor-axis FWHM (0: = beam_fwhm_au, circular)"},
    {C, "beam_pa_deg", PARAM_REAL, "0", -360, 360, NULL, "deg", "beam position angle, north through east"},
    {C, "frequency", PARAM_REAL, "230e9", 1e6, 1e15, NULL, "Hz", "continuum frequency (1.3 mm)"},
    {C, "kappa0", PARAM_REAL, "0.0899", 0, 1e6, NULL, "m^2/kg", "dust opacity per unit dust mass at kappa_frequency"},
    {C, "kappa_frequency", PARAM_REAL, "230e9", 1e6, 1e15, NULL, "Hz", "reference frequency of kappa0"},
    {C, "kappa_beta", PARAM_REAL, "1.7", -5, 5, NULL, "", "opacity index: kappa = kappa0 (nu / nu_ref)^beta"},
    {C, "gas_to_dust", PARAM_REAL, "100", 1e-3, 1e9, NULL, "", "gas-to-dust mass ratio"},
    {C, "lamda_file", PARAM_STRING, SYNOBS_DATA_DIR "/co.dat", 0, 0, NULL, "", "LAMDA file of the moment-1 line"},
    {C, "transition", PARAM_INT, "2", 1, 1e6, NULL, "", "radiative transition (1-based; 2: CO J=2-1)"},
    {C, "molar_mass", PARAM_REAL, "28.0", 1e-3, 1e6, NULL, "u", "molecular mass (thermal width)"},
    {C, "abundance", PARAM_REAL, "1e-4", 0, 1, NULL, "", "molecular abundance relative to H2"},
    {C, "freeze_out_factor", PARAM_REAL, "0.01", 0, 1, NULL, "", "abundance factor below 20 K (freeze-out on grains)"},
    {C, "channels", PARAM_INT, "32", 2, 4096, NULL, "channels", "line-cube channels"},
    {C, "velocity_range", PARAM_REAL, "6", 1e-3, 1e4, NULL, "km/s", "channels span -range..+range (radial velocity, receding positive)"},
    {C, "v_turb", PARAM_REAL, "0.1", 0, 1e3, NULL, "km/s", "microturbulent width of the line"},
    {C, "line_noise", PARAM_REAL, "0", 0, 1e30, NULL, "Jy/pixel", "channel noise for the moment-1 blanking (0: 1e-3 of the cube's peak)"},
    {C, "mask_sigma", PARAM_REAL, "10", 0, 1e6, NULL, "", "moment-1 pixels with moment 0 below mask_sigma x its noise are NaN (10: the paper's maps)"},
    {C, "step_scale", PARAM_REAL, "1", 1e-3, 10, NULL, "", "ray-step factor (1: converged to 1e-3 of the peak; see the README)"},
    {C, "refine_depth", PARAM_INT, "10", 0, 40, NULL, "levels", "quadtree levels of pixel splitting near a star's image (10: 1/1024 pixel)"},
    {C, "supersample", PARAM_INT, "1", 1, 16, NULL, "rays", "n x n rays per pixel away from the stars (for pixels wider than the streamers, ~0.15 a)"},
    {C, "threads", PARAM_INT, "0", 0, 4096, NULL, "threads", "renderer threads per rank (0: all cores)"},
    {C, "external", PARAM_STRING, "", 0, 0, NULL, "", "a glob of external layout-A per-snapshot HDF5 files (intensity_projection_1..8 and scalars) to convert instead of generating; snapshots in sorted file-name order"},
    {C, "external_projection_phi_deg", PARAM_STRING, "0,45,90,135,180,225,270,315", 0, 0, NULL, "deg", "azimuth of intensity_projection_1..8 on the cone ([assumption] of the spec: nothing public confirms it)"},
    {C, "external_pixel_au", PARAM_REAL, "2.5", 1e-6, 1e9, NULL, "AU", "pixel size of the external images"},
    {C, "external_image_units", PARAM_STRING, "Jy/pixel", 0, 0, NULL, "", "units of the external images (recorded, not converted)"},
    {C, "external_mass_unit", PARAM_REAL, "1", 0, 1e40, NULL, "Msun", "Msun per stored unit of `mass` (RAMSES code units of the toolbox: 3000)"},
    {C, "external_accretion_unit", PARAM_REAL, "1", 0, 1e40, NULL, "Msun/yr", "Msun/yr per stored unit of `accretion_rate` (a rate per second: 3.15576e7)"},
    {C, "external_age_unit", PARAM_REAL, "1", 0, 1e40, NULL, "kyr", "kyr per stored unit of `age`"},
    {C, "external_disk_size_unit", PARAM_REAL, "1", 0, 1e40, NULL, "AU", "AU per stored unit of `disk_size`"},
    {C, "external_luminosity_unit", PARAM_REAL, "1", 0, 1e40, NULL, "Lsun", "Lsun per stored unit of `luminosity`"},
    {C, "external_envelope_mass_unit", PARAM_REAL, "1", 0, 1e40, NULL, "Msun", "Msun per stored unit of `Envelope_mass` (grams: 5.0290e-34)"},
    {C, "external_temperature_unit", PARAM_REAL, "1", 0, 1e40, NULL, "K", "K per stored unit of `temperature`"},
    /* the model's defaults (catalogue.md 1.1): presets take these; random systems draw the random_* ranges */
    {C, "formation_mass", PARAM_REAL, "0.01", 1e-6, 100, NULL, "Msun", "mass of each star at its formation"},
    {C, "secondary_formation_kyr", PARAM_REAL, "3", 0, 1e4, NULL, "kyr", "age of the primary when the secondary forms (first periastron)"},
    {C, "accretion_timescale_kyr", PARAM_REAL, "20", 1e-3, 1e5, NULL, "kyr", "tau_acc of Mdot ~ (1 + t/tau_acc)^-p"},
    {C, "accretion_exponent", PARAM_REAL, "1.0", 0, 10, NULL, "", "p of the accretion decline"},
    {C, "burst_amplitude", PARAM_REAL, "3", 0, 1e3, NULL, "", "periastron burst amplitude A_b"},
    {C, "burst_width", PARAM_REAL, "0.05", 1e-3, 0.5, NULL, "orbits", "periastron burst width w_b"},
    {C, "disk_mass_fraction", PARAM_REAL, "0.1", 0, 10, NULL, "", "disk mass / stellar mass"},
    {C, "truncation_factor", PARAM_REAL, "0.8", 0, 10, NULL, "", "disk radius / (Roche-lobe radius at periastron)"},
    {C, "disk_growth_kyr", PARAM_REAL, "10", 1e-3, 1e5, NULL, "kyr", "disk growth time tau_d"},
    {C, "disk_aspect_ratio", PARAM_REAL, "0.1", 1e-4, 1, NULL, "", "H/R at 100 AU (flaring H/R ~ R^1/4)"},
    {C, "disk_misalignment_deg", PARAM_REAL, "20", 0, 180, NULL, "deg", "angle of each disk's normal from the orbit normal"},
    {C, "precession_orbits", PARAM_REAL, "50", 1e-3, 1e9, NULL, "orbits", "disk precession period"},
    {C, "envelope_infall_rate", PARAM_REAL, "1e-5", 0, 1, NULL, "Msun/yr", "envelope infall rate at t = 0"},
    {C, "envelope_efold_kyr", PARAM_REAL, "100", 1e-3, 1e6, NULL, "kyr", "e-folding time of the infall rate"},
    {C, "centrifugal_radius_au", PARAM_REAL, "100", 1e-3, 1e6, NULL, "AU", "centrifugal radius R_c of the infall"},
    {C, "cavity_density_factor", PARAM_REAL, "0.01", 0, 1, NULL, "", "density factor inside the outflow cavities"},
    {C, "ring_radius", PARAM_REAL, "2.5", 0.1, 100, NULL, "a", "circumbinary ring radius"},
    {C, "ring_width", PARAM_REAL, "0.3", 1e-3, 100, NULL, "a", "circumbinary ring Gaussian width"},
    {C, "ring_mass_fraction", PARAM_REAL, "0.05", 0, 10, NULL, "", "ring mass / (M1 + M2)"},
    {C, "streamer_density", PARAM_REAL, "0.5", 0, 100, NULL, "", "streamer density / the ring's peak"},
    {C, "streamer_pitch_deg", PARAM_REAL, "20", 1, 89, NULL, "deg", "pitch angle of the streamer spirals"},
    {C, "t100", PARAM_REAL, "25", 1e-3, 1e6, NULL, "K", "temperature at 100 AU from a 1 Lsun star"},
    {C, "t_floor", PARAM_REAL, "10", 1e-3, 1e6, NULL, "K", "temperature floor"},
    {C, "t_sublimation", PARAM_REAL, "1500", 1, 1e6, NULL, "K", "dust sublimation temperature"},
    {C, "outer_radius_au", PARAM_REAL, "3000", 1, 1e7, NULL, "AU", "outer radius of the model"},
    RANGE("m1", 0.3, 3, "Msun", "the final primary mass (log-uniform)"),
    RANGE("q", 0.2, 1, "", "the final mass ratio M2/M1"),
    RANGE("age_kyr", 80, 300, "kyr", "the final age"),
    RANGE("periods", 50, 300, "orbits", "the periods from the first periastron to the final age"),
    RANGE("eccentricity", 0, 0.7, "", "the eccentricity"),
    RANGE("accretion_timescale_kyr", 10, 50, "kyr", "tau_acc"),
    RANGE("accretion_exponent", 0.5, 1.5, "", "p"),
    RANGE("burst_amplitude", 0, 10, "", "A_b"),
    RANGE("burst_width", 0.02, 0.1, "orbits", "w_b"),
    RANGE("disk_mass_fraction", 0.02, 0.3, "", "f_d"),
    RANGE("truncation_factor", 0.6, 1.0, "", "f_tr"),
    RANGE("disk_growth_kyr", 5, 30, "kyr", "tau_d"),
    RANGE("disk_aspect_ratio", 0.05, 0.15, "", "h100"),
    RANGE("disk_misalignment_deg", 0, 60, "deg", "the disk misalignment"),
    RANGE("precession_orbits", 20, 200, "orbits", "the precession period (log-uniform)"),
    RANGE("envelope_infall_rate", 2e-6, 3e-5, "Msun/yr", "the infall rate (log-uniform)"),
    RANGE("envelope_efold_kyr", 50, 200, "kyr", "its e-folding time"),
    RANGE("centrifugal_radius_au", 30, 300, "AU", "R_c (log-uniform)"),
    RANGE("ring_radius", 2, 3.5, "a", "the ring radius"),
    RANGE("ring_width", 0.2, 0.5, "a", "the ring width"),
    RANGE("ring_mass_fraction", 0.01, 0.1, "", "the ring mass fraction"),
    RANGE("streamer_density", 0, 1, "", "the streamer density"),
    RANGE("streamer_pitch_deg", 10, 40, "deg", "the streamer pitch angle"),
    PARAM_END};

static double r(const params *ps, const char *k) { return params_real(ps, C, k); }

static void model_defaults(const params *ps, binary_params *p)
{
    binary_defaults(p);
    p->m_form = r(ps, "formation_mass") * BIN_MSUN;
    p->t2_form = r(ps, "secondary_formation_kyr") * BIN_KYR;
    p->tau_acc = r(ps, "accretion_timescale_kyr") * BIN_KYR, p->p_acc = r(ps, "accretion_exponent");
    p->burst_amp = r(ps, "burst_amplitude"), p->burst_width = r(ps, "burst_width");
    p->f_disk = r(ps, "disk_mass_fraction"), p->f_trunc = r(ps, "truncation_factor");
    p->tau_disk = r(ps, "disk_growth_kyr") * BIN_KYR, p->h100 = r(ps, "disk_aspect_ratio");
    p->misalign[0] = p->misalign[1] = r(ps, "disk_misalignment_deg") * DEG, p->prec_orbits = r(ps, "precession_orbits");
    p->mdot_env0 = r(ps, "envelope_infall_rate") * BIN_MSUN / BIN_YR, p->t_env = r(ps, "envelope_efold_kyr") * BIN_KYR;
    p->r_c = r(ps, "centrifugal_radius_au") * BIN_AU, p->f_cav = r(ps, "cavity_density_factor");
    p->ring_radius = r(ps, "ring_radius"), p->ring_width = r(ps, "ring_width"), p->ring_mass = r(ps, "ring_mass_fraction");
    p->streamer_density = r(ps, "streamer_density"), p->streamer_pitch = r(ps, "streamer_pitch_deg") * DEG;
    p->t100 = r(ps, "t100"), p->t_floor = r(ps, "t_floor"), p->t_sub = r(ps, "t_sublimation");
    p->r_out = r(ps, "outer_radius_au") * BIN_AU;
}

static void range(const params *ps, const char *k, double *lohi)
{
    char a[96], b[96];
    snprintf(a, sizeof a, "random_%s_min", k);
    snprintf(b, sizeof b, "random_%s_max", k);
    lohi[0] = r(ps, a), lohi[1] = r(ps, b);
}

static int system_draw(const params *ps, const char *token, uint64_t seed, uint64_t stream, binary_params *p)
{
    rng g;
    rng_seed(&g, seed, stream);
    model_defaults(ps, p);
    if (strcmp(token, "random") == 0) {
        binary_ranges rg;
        range(ps, "m1", rg.m1), range(ps, "q", rg.q), range(ps, "age_kyr", rg.t_end), range(ps, "periods", rg.periods);
        range(ps, "eccentricity", rg.ecc), range(ps, "accretion_timescale_kyr", rg.tau_acc);
        range(ps, "accretion_exponent", rg.p_acc), range(ps, "burst_amplitude", rg.burst_amp);
        range(ps, "burst_width", rg.burst_width), range(ps, "disk_mass_fraction", rg.f_disk);
        range(ps, "truncation_factor", rg.f_trunc), range(ps, "disk_growth_kyr", rg.tau_disk);
        range(ps, "disk_aspect_ratio", rg.h100), range(ps, "disk_misalignment_deg", rg.misalign);
        range(ps, "precession_orbits", rg.prec_orbits), range(ps, "envelope_infall_rate", rg.mdot_env);
        range(ps, "envelope_efold_kyr", rg.t_env), range(ps, "centrifugal_radius_au", rg.r_c);
        range(ps, "ring_radius", rg.ring_radius), range(ps, "ring_width", rg.ring_width);
        range(ps, "ring_mass_fraction", rg.ring_mass), range(ps, "streamer_density", rg.streamer_density);
        range(ps, "streamer_pitch_deg", rg.streamer_pitch);
        binary_draw(p, &rg, &g);
        snprintf(p->name, sizeof p->name, "random-%llu", (unsigned long long)stream);
    } else if (binary_preset(p, token, &g) != 0)
        return -1;
    return 0;
}

int cat_system_make(const params *ps, const char *token, uint64_t seed, uint64_t stream, binary_params *p)
{
    return system_draw(ps, token, seed, stream, p) != 0 ? -1 : binary_init(p);
}

void cat_system_ready(const cat_config *c, int i)
{
    if (!c->sys[i].tab && binary_init(&c->sys[i]) != 0) /* checked by binary_init_orbit already */
        synobs_fatal(__FILE__, __LINE__, "catalogue", NULL, "system %d: %s", i, error_message());
}

static int parse_systems(const params *ps, cat_config *c)
{
    const char *text = params_string(ps, C, "systems");
    char *copy = xstrdup(text), *save = NULL;
    c->nsys = 0;
    c->sys_token = NULL;
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        long n = 1;
        const char *tok = t;
        if (strncmp(t, "random:", 7) == 0) {
            char *end;
            n = strtol(t + 7, &end, 10);
            if (*end || n < 1 || n > 1000000) {
                error_set("%s: [catalogue] systems: '%s' is not random:N with N >= 1", params_origin(ps, C, "systems"), t);
                free(copy);
                return -1;
            }
            tok = "random";
        } else {
            int known = 0;
            for (int i = 0; i < BINARY_NPRESET; i++) known |= strcmp(t, binary_preset_names[i]) == 0;
            if (!known) {
                error_set("%s: [catalogue] systems: unknown system '%s' (presets B1, B2, B3, or random:N)",
                          params_origin(ps, C, "systems"), t);
                free(copy);
                return -1;
            }
        }
        c->sys_token = realloc(c->sys_token, (size_t)(c->nsys + n) * sizeof *c->sys_token);
        for (long k = 0; k < n; k++) c->sys_token[c->nsys++] = xstrdup(tok);
    }
    free(copy);
    if (c->nsys == 0) return error_set("%s: [catalogue] systems is empty", params_origin(ps, C, "systems"));
    return 0;
}

int cat_config_init(cat_config *c, const params *ps, const char *observable)
{
    memset(c, 0, sizeof *c);
    c->observable = strcmp(observable, "moment1") == 0 ? "moment1" : "continuum";
    if (parse_systems(ps, c) != 0) return -1;
    c->seed = (uint64_t)params_int(ps, C, "seed");
    c->cadence = r(ps, "cadence") * BIN_YR;
    c->observers = (int)params_int(ps, C, "observers");
    c->proj_sep = r(ps, "projected_separation_au") * BIN_AU;
    profile_shell_edges(fmin(2.0 * r(ps, "pixel_au"), 250.0) * BIN_AU, 500.0 * BIN_AU, PROFILE_NSHELL, c->shell_edges);
    const char *centre = params_string(ps, C, "centre");
    c->centre = strcmp(centre, "primary") == 0 ? 1 : strcmp(centre, "barycentre") == 0 ? 2 : 0;
    double pix = r(ps, "pixel_au");
    c->beam.fwhm_major = r(ps, "beam_fwhm_au") / pix;
    c->beam.fwhm_minor = (r(ps, "beam_minor_au") > 0 ? r(ps, "beam_minor_au") : r(ps, "beam_fwhm_au")) / pix;
    c->beam.pa = r(ps, "beam_pa_deg") * DEG;
    c->line_noise = r(ps, "line_noise"), c->mask_sigma = r(ps, "mask_sigma");
    render_setup *rs = &c->rs;
    rs->mode = strcmp(c->observable, "moment1") == 0 ? RENDER_LINE : RENDER_DUST;
    rs->height = rs->width = (int)params_int(ps, C, "image_pixels");
    rs->pixel = pix * BIN_AU, rs->distance = r(ps, "distance_pc") * PC;
    rs->step_scale = r(ps, "step_scale"), rs->max_depth = (int)params_int(ps, C, "refine_depth");
    rs->supersample = (int)params_int(ps, C, "supersample");
    rs->threads = (int)params_int(ps, C, "threads");
    rs->freq = r(ps, "frequency"), rs->kappa0 = r(ps, "kappa0"), rs->nu_ref = r(ps, "kappa_frequency");
    rs->beta = r(ps, "kappa_beta"), rs->gas_to_dust = r(ps, "gas_to_dust");
    rs->nchan = (int)params_int(ps, C, "channels"), rs->vrange = r(ps, "velocity_range") * 1e3;
    rs->abundance = r(ps, "abundance"), rs->freeze_out = r(ps, "freeze_out_factor"), rs->freeze_T = 20.0;
    rs->v_turb = r(ps, "v_turb") * 1e3, rs->mu_h2 = 2.8;
    if (rs->mode == RENDER_LINE) {
        if (rt_line_load(params_string(ps, C, "lamda_file"), (int)params_int(ps, C, "transition"), r(ps, "molar_mass"),
                         &c->lamda, &c->line) != 0)
            return -1;
        c->have_line = 1;
        rs->line = &c->line;
    }
    c->sys = xcalloc((size_t)c->nsys, sizeof *c->sys);
    c->first = xmalloc((size_t)(c->nsys + 1) * sizeof *c->first);
    c->first[0] = 0;
    for (int i = 0; i < c->nsys; i++) {
        if (system_draw(ps, c->sys_token[i], c->seed, (uint64_t)i, &c->sys[i]) != 0 || binary_init_orbit(&c->sys[i]) != 0) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", error_message());
            error_clear();
            return error_set("%s: [catalogue] system %d (%s): %s", params_origin(ps, C, "systems"), i, c->sys_token[i], msg);
        }
        c->first[i + 1] = c->first[i] + binary_snapshots(&c->sys[i], c->cadence, NULL);
    }
    c->nsnap = c->first[c->nsys];
    return 0;
}

void cat_config_free(cat_config *c)
{
    for (int i = 0; i < c->nsys; i++) {
        if (c->sys) binary_free(&c->sys[i]);
        free(c->sys_token[i]);
    }
    free(c->sys_token), free(c->sys), free(c->first);
    if (c->have_line) rt_line_free(&c->line), lamda_free(&c->lamda);
}

void cat_locate(const cat_config *c, int64_t g, int *sys, double *t)
{
    int lo = 0, hi = c->nsys - 1; /* the last system whose first snapshot is <= g */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (c->first[mid] <= g) lo = mid;
        else hi = mid - 1;
    }
    int s = lo;
    long n = binary_snapshots(&c->sys[s], c->cadence, NULL), k = (long)(g - c->first[s]);
    *sys = s;
    *t = c->sys[s].t_end - (double)(n - 1 - k) * c->cadence;
}

const char *cat_image_units(const cat_config *c)
{
    return c->rs.mode == RENDER_LINE ? "km/s" : c->beam.fwhm_major > 0 ? "Jy/beam" : "Jy/pixel";
}

/* One observer's image: the dust continuum through the beam, or the line cube's channels through
 * the beam and then its moment 1 with the observed maps' blanking. */
static void render_observer(const cat_config *c, const binary_params *p, const binary_state *s, const cone_view *v,
                            const double *centre, float *img)
{
    render_setup rs = c->rs;
    memcpy(rs.centre, centre, sizeof rs.centre);
    size_t np = (size_t)rs.height * rs.width, nv = rs.mode == RENDER_LINE ? (size_t)rs.nchan : 1;
    double *buf = xmalloc(np * nv * sizeof *buf), *plane = xmalloc(np * sizeof *plane);
    render_view(&rs, p, s, v, buf);
    if (rs.mode == RENDER_DUST) {
        beam_convolve(&c->beam, rs.height, rs.width, buf);
        for (size_t i = 0; i < np; i++) img[i] = (float)buf[i];
    } else {
        for (size_t ch = 0; ch < nv && c->beam.fwhm_major > 0; ch++) {
            for (size_t i = 0; i < np; i++) plane[i] = buf[i * nv + ch];
            beam_convolve(&c->beam, rs.height, rs.width, plane);
            for (size_t i = 0; i < np; i++) buf[i * nv + ch] = plane[i];
        }
        double noise = c->line_noise, peak = 0.0;
        for (size_t i = 0; i < np * nv; i++) peak = fmax(peak, buf[i]);
        if (noise <= 0) noise = 1e-3 * peak;
        render_moments(&rs, buf, noise, c->mask_sigma, NULL, plane);
        for (size_t i = 0; i < np; i++) img[i] = (float)plane[i];
    }
    free(buf), free(plane);
}

void cat_snapshot_make(const cat_config *c, const binary_params *p, double t, cat_snapshot *m, float *images)
{
    binary_state s;
    binary_state_at(p, t, &s);
    double *v = m->meta;
    v[META_T1] = s.t_i[0] / BIN_KYR, v[META_T2] = s.t_i[1] / BIN_KYR;
    v[META_M1] = s.m[0] / BIN_MSUN, v[META_M2] = s.m[1] / BIN_MSUN, v[META_MTOT] = v[META_M1] + v[META_M2];
    v[META_MDOT1] = s.mdot[0] / BIN_MSUN * BIN_YR, v[META_MDOT2] = s.mdot[1] / BIN_MSUN * BIN_YR;
    v[META_L1] = s.lum[0] / BIN_LSUN, v[META_L2] = s.lum[1] / BIN_LSUN;
    v[META_DSIZE1] = s.rd[0] / BIN_AU, v[META_DSIZE2] = s.rd[1] / BIN_AU;
    v[META_MD1] = s.md[0] / BIN_MSUN, v[META_MD2] = s.md[1] / BIN_MSUN;
    v[META_MGAS100] = binary_gas_mass_within(p, &s, 0, 100.0 * BIN_AU) / BIN_MSUN;
    v[META_SEP] = s.sep / BIN_AU, v[META_PHASE] = s.phase - floor(s.phase);
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 3; k++) m->J[i][k] = s.J[i][k], m->r_au[i][k] = s.r[i][k] / BIN_AU;
    cone_views(s.r[0], s.r[1], c->proj_sep, c->observers, m->view);
    render_setup rs = c->rs;
    for (int k = 0; k < 3; k++)
        rs.centre[k] = c->centre == 1 ? s.r[0][k] : c->centre == 2 ? 0.0 : 0.5 * (s.r[0][k] + s.r[1][k]);
    for (int o = 0; o < c->observers; o++)
        for (int i = 0; i < 2; i++)
            cone_project(&m->view[o], rs.centre, rs.pixel, rs.height, rs.width, s.r[i], &m->star_px[o][i][0], &m->star_px[o][i][1]);
    if (!images) return;
    for (int i = 0; i < 2; i++) {
        double L[PROFILE_NSHELL * 3], vr[PROFILE_NSHELL];
        binary_profiles(p, &s, i, PROFILE_NSHELL, c->shell_edges, L, vr);
        for (int k = 0; k < PROFILE_NSHELL; k++) {
            for (int d = 0; d < 3; d++) m->Lprof[i][k][d] = L[3 * k + d] / BIN_AU / 1e3;
            m->vprof[i][k] = vr[k] / 1e3;
        }
    }
    for (int o = 0; o < c->observers; o++)
        render_observer(c, p, &s, &m->view[o], rs.centre, images + (size_t)o * rs.height * rs.width);
}

void cat_snapshot_image(const cat_config *c, const binary_params *p, double t, int observer, cat_snapshot *m, float *image)
{
    cat_snapshot_make(c, p, t, m, NULL);
    binary_state s;
    binary_state_at(p, t, &s);
    double centre[3];
    for (int k = 0; k < 3; k++)
        centre[k] = c->centre == 1 ? s.r[0][k] : c->centre == 2 ? 0.0 : 0.5 * (s.r[0][k] + s.r[1][k]);
    render_observer(c, p, &s, &m->view[observer], centre, image);
}
