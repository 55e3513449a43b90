/**
 * @file generate.c
 * @brief `synobs generate`: the RT-emulator dataset. N wind models x V views, split across ranks
 * by model (each rank draws, views and solves its own models), written as sharded HDF5 in the
 * COEmuNet layout: input (N V, 3, G, G, G) float32 [v_z, T, n_CO], output (N V, 1, F, G, G)
 * float32 |I|, and per sample the model id, view, split, dx and the model parameters.
 *
 * Determinism: model m draws its parameters from stream (seed, m) and view v of it its rotation
 * from stream (seed, 2^32 + m V + v); samples are stored model-major, so the files do not depend
 * on the rank count. The image is solved from the float32 values stored as input (the pair is
 * exactly consistent). Splits are assigned per model (all its views share one split).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/rng.h"
#include "io/h5util.h"
#include "io/provenance.h"
#include "io/shard.h"
#include "mpi/collective.h"
#include "mpi/decomp.h"
#include "rt/constants.h"
#include "rt/solver.h"
#include "rt/view.h"
#include "rt/wind.h"
#include "stages/plan.h"
#include "stages/stage.h"

#define RANGE(key, lo, hi, units, what)                                                                    \
    {"generate", key "_min", PARAM_REAL, #lo, -1e30, 1e30, NULL, units, "lower end of the range of " what}, \
    {"generate", key "_max", PARAM_REAL, #hi, -1e30, 1e30, NULL, units, "upper end of the range of " what}

static const param_decl generate_params[] = {
    {"generate", "output", PARAM_STRING, NULL, 0, 0, NULL, "", "master file of the dataset; shards go to OUTPUT_STEM.shards/"},
    {"generate", "models", PARAM_INT, NULL, 1, 1e9, NULL, "models", "number of wind models N"},
    {"generate", "views", PARAM_INT, "1", 1, 1e6, NULL, "views", "viewing directions V per model (samples = N V)"},
    {"generate", "view", PARAM_CHOICE, "random", 0, 0, "random|faceon", "",
     "random: rotations uniform on SO(3) (lines of sight uniform on the sphere); faceon: along the orbital axis"},
    {"generate", "grid", PARAM_INT, "64", 4, 512, NULL, "cells", "grid size G of the model cubes and images"},
    {"generate", "seed", PARAM_INT, "2025", 0, 9.2e18, NULL, "", "seed of the model and view streams"},
    {"generate", "box_radius", PARAM_REAL, "2.8984584112701441e13", 1e9, 1e18, NULL, "m",
     "radius of the model ball (COEmuNet's); models span [-R, R] on 2G cells, views its central G^3 (pitch R / G)"},
    {"generate", "dx_convention", PARAM_CHOICE, "coemunet_box_over_64", 0, 0, "coemunet_box_over_64|physical_pitch", "",
     "dx given to the solver: twice the pitch as COEmuNet's data did (spec rt-solver.md 13), or the pitch"},
    {"generate", "lamda_file", PARAM_STRING, SYNOBS_DATA_DIR "/co.dat", 0, 0, NULL, "", "LAMDA molecular data file"},
    {"generate", "transition", PARAM_INT, "2", 1, 1e6, NULL, "", "radiative transition number in the LAMDA file (2: CO J=2-1)"},
    {"generate", "molar_mass", PARAM_REAL, "28.0", 1e-3, 1e6, NULL, "u", "molecular mass for the thermal width"},
    {"generate", "channels", PARAM_INT, "7", 1, 1024, NULL, "channels", "frequency channels F, centred on the line"},
    {"generate", "channel_width", PARAM_REAL, "300", 1e-3, 1e7, NULL, "m/s", "channel spacing in velocity: nu_f = nu0 (1 + m dv / c)"},
    {"generate", "boundary", PARAM_CHOICE, "zero", 0, 0, "zero|cmb", "", "intensity entering at the far side (COEmuNet: zero)"},
    {"generate", "t_floor", PARAM_REAL, "20", 1e-3, 1e6, NULL, "K", "temperature floor of the models, and T outside the sphere"},
    {"generate", "n_outside", PARAM_REAL, "1", 0, 1e30, NULL, "m^-3", "n_CO outside the inscribed sphere (empty space)"},
    {"generate", "split_validation", PARAM_REAL, "0.1", 0, 1, NULL, "", "fraction of models in the validation split"},
    {"generate", "split_test", PARAM_REAL, "0.1", 0, 1, NULL, "", "fraction of models in the test split"},
    {"generate", "threads", PARAM_INT, "1", 0, 4096, NULL, "threads", "solver threads per rank (0: all cores)"},
    RANGE("mdot", 1e-7, 1e-5, "Msun/yr", "the mass-loss rate (log-uniform)"),
    RANGE("v_inf", 5e3, 20e3, "m/s", "the terminal wind velocity"),
    RANGE("beta", 0.5, 1.5, "", "the beta-law exponent of the wind acceleration"),
    RANGE("period", 50, 1000, "yr", "the orbital period (log-uniform)"),
    RANGE("separation", 5, 50, "AU", "the orbital semi-major axis (log-uniform)"),
    RANGE("eccentricity", 0, 0.6, "", "the orbital eccentricity"),
    RANGE("spiral_contrast", 0.5, 4, "", "the spiral's peak overdensity (density factor 1 + contrast)"),
    RANGE("spiral_width", 0.05, 0.25, "arm spacings", "the spiral arm's Gaussian width"),
    RANGE("ede_contrast", 0, 3, "", "the equatorial density enhancement (drawn only with ede_probability)"),
    RANGE("ede_height", 0.1, 0.4, "", "the opening |z|/r of the equatorial enhancement"),
    RANGE("t_star", 2000, 3000, "K", "the temperature at the stellar radius"),
    RANGE("t_slope", 0.5, 1.0, "", "the temperature power-law index"),
    RANGE("x_co", 3e-4, 1e-3, "", "the CO abundance n_CO/n_H2 (log-uniform)"),
    RANGE("v_turb", 0, 0, "m/s", "the microturbulent width (COEmuNet: thermal widths only)"),
    RANGE("phase", 0, 6.283185307179586, "rad", "the orbital phase (mean anomaly) now"),
    {"generate", "ede_probability", PARAM_REAL, "0.5", 0, 1, NULL, "", "chance that a model has an equatorial enhancement"},
    PARAM_END};

static const char *const generate_sections[] = {"generate", NULL};

static const char *const range_keys[WIND_NPARAM] = {"mdot", "v_inf", "beta", "period", "separation", "eccentricity",
                                                    "spiral_contrast", "spiral_width", "ede_contrast", "ede_height",
                                                    "t_star", "t_slope", "x_co", "v_turb", "phase"};

/** Split of model m: 0 train, 1 validation, 2 test, from its own stream (rank-independent). */
static int64_t model_split(uint64_t seed, int64_t m, double fval, double ftest)
{
    rng r;
    rng_seed(&r, seed ^ 0x5b1175ULL, (uint64_t)m);
    double u = rng_uniform(&r);
    return u < ftest ? 2 : u < ftest + fval ? 1 : 0;
}

/* The views of one model are solved and written in blocks of at most this many bytes of float data,
 * so that the memory of a rank does not grow with [generate] views. */
#define VIEW_BLOCK_BYTES (256.0 * 1024 * 1024)

static int64_t view_block(int64_t V, int G, int F)
{
    double per_view = 4.0 * (3.0 * G * G * G + (double)F * G * G) + 8.0 * (4 + WIND_NPARAM) + 24.0;
    int64_t b = (int64_t)(VIEW_BLOCK_BYTES / per_view);
    return b < 1 ? 1 : b > V ? V : b;
}

static int generate_check(const params *ps, const char *params_text, stage_plan *plan)
{
    for (int i = 0; i < WIND_NPARAM; i++) {
        char lo[64], hi[64];
        snprintf(lo, sizeof lo, "%s_min", range_keys[i]);
        snprintf(hi, sizeof hi, "%s_max", range_keys[i]);
        if (params_real(ps, "generate", hi) < params_real(ps, "generate", lo))
            return error_set("%s: [generate] %s = %g is below %s = %g", params_origin(ps, "generate", hi), hi,
                             params_real(ps, "generate", hi), lo, params_real(ps, "generate", lo));
    }
    double fval = params_real(ps, "generate", "split_validation"), ftest = params_real(ps, "generate", "split_test");
    if (fval + ftest > 1.0)
        return error_set("%s: [generate] split_validation + split_test = %g exceeds 1",
                         params_origin(ps, "generate", "split_test"), fval + ftest);
    if (params_real(ps, "generate", "eccentricity_min") < 0 || params_real(ps, "generate", "eccentricity_max") >= 1.0)
        return error_set("%s: [generate] eccentricity_min and _max must lie in [0, 1)",
                         params_origin(ps, "generate", "eccentricity_max"));
    const char *output = params_string(ps, "generate", "output");
    if (plan_output(ps, "generate", "output") != 0) return -1;
    char why[1024];
    if (provenance_matches(output, "generate", "generate", params_text, why, sizeof why) < 0)
        return error_set("%s: [generate] output = %s exists and %s: remove it to generate again, or set another output",
                         params_origin(ps, "generate", "output"), output, why);
    if (plan_lamda(ps, "generate") != 0) return -1;
    int64_t V = params_int(ps, "generate", "views");
    int G = (int)params_int(ps, "generate", "grid"), F = (int)params_int(ps, "generate", "channels");
    double g3 = (double)G * G * G, model = 8.0 * (5.0 * 8.0 * g3 + 6.0 * g3 + (double)G * G * F);
    double views = (double)view_block(V, G, F) * (4.0 * (3.0 * g3 + (double)F * G * G) + 8.0 * (7 + WIND_NPARAM));
    char what[256];
    snprintf(what, sizeof what, "%s: [generate] grid = %d (%d channels)", params_origin(ps, "generate", "grid"), G, F);
    if (plan_memory(model + views, what) != 0) return -1;
    plan_add(plan, output, PLAN_DATASET, G, F, true);
    return 0;
}

static int generate_run(const params *ps, const char *params_text)
{
    const char *output = params_string(ps, "generate", "output");
    int64_t nmodels = params_int(ps, "generate", "models"), V = params_int(ps, "generate", "views");
    int G = (int)params_int(ps, "generate", "grid"), F = (int)params_int(ps, "generate", "channels");
    int threads = (int)params_int(ps, "generate", "threads"), faceon = strcmp(params_string(ps, "generate", "view"), "faceon") == 0;
    uint64_t seed = (uint64_t)params_int(ps, "generate", "seed");
    /* COEmuNet: the model is a ball of radius R on a 128^3 grid, the view its central 64^3 crop;
     * here the source grid has Gs = 2G cells over [-R, R] and the view the central G cells */
    int Gs = 2 * G;
    double pitch = params_real(ps, "generate", "box_radius") / G;
    int coemunet_dx = strcmp(params_string(ps, "generate", "dx_convention"), "coemunet_box_over_64") == 0;
    double dx = coemunet_dx ? 2.0 * pitch : pitch, t_floor = params_real(ps, "generate", "t_floor");
    double n_out = params_real(ps, "generate", "n_outside"), fval = params_real(ps, "generate", "split_validation");
    double ftest = params_real(ps, "generate", "split_test");
    wind_ranges rg;
    for (int i = 0; i < WIND_NPARAM; i++) {
        char k[64];
        snprintf(k, sizeof k, "%s_min", range_keys[i]);
        rg.lo[i] = params_real(ps, "generate", k);
        snprintf(k, sizeof k, "%s_max", range_keys[i]);
        rg.hi[i] = params_real(ps, "generate", k);
    }
    rg.ede_probability = params_real(ps, "generate", "ede_probability");

    /* A campaign run again (after a pre-emption, say) must not make a finished dataset again. The
     * master file only appears, by rename, once every shard is complete. */
    int made = 0;
    if (log_rank() == 0) { /* generate_check has refused a file made with other parameters */
        char why[1024];
        made = provenance_matches(output, "generate", "generate", params_text, why, sizeof why) == 1;
    }
    MPI_Bcast(&made, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (made == 1) {
        message0("generate: %s is complete and was made with these [generate] parameters: nothing to do "
                 "(remove it to generate again)", output);
        return 0;
    }
    collective_fail_if(log_rank() == 0 && path_make_parent(output) != 0);

    lamda_data lamda;
    rt_line line;
    collective_fail_if(rt_line_load(params_string(ps, "generate", "lamda_file"), (int)params_int(ps, "generate", "transition"),
                                    params_real(ps, "generate", "molar_mass"), &lamda, &line) != 0);
    double *freq = xmalloc((size_t)F * sizeof *freq), dv = params_real(ps, "generate", "channel_width");
    for (int f = 0; f < F; f++) freq[f] = line.nu0 * (1.0 + (f - 0.5 * (F - 1)) * dv / RT_C);
    rt_setup s = {.mode = RT_MODE_LINE, .line = &line, .nfreq = F, .freq = freq, .dx = dx,
                  .boundary = strcmp(params_string(ps, "generate", "boundary"), "cmb") == 0 ? RT_BOUNDARY_CMB : RT_BOUNDARY_ZERO};

    char logpath[4200];
    snprintf(logpath, sizeof logpath, "%s.log.jsonl", output);
    jlog_open(logpath);
    char *q = json_quote_alloc(params_text);
    jlog("start", "\"stage\": \"generate\", \"ranks\": %d, \"models\": %lld, \"views\": %lld, \"parameters\": %s",
         log_size(), (long long)nmodels, (long long)V, q);
    free(q);

    int64_t m0, mcount;
    decomp_block(nmodels, log_rank(), log_size(), &m0, &mcount);
    enum { NFIELD = 6 };
    const shard_field fields[NFIELD] = {
        {"model_id", SHARD_FIELD_I64, 0, "", "index of the wind model the sample was drawn from", 0, {0}},
        {"view_id", SHARD_FIELD_I64, 0, "", "index of the view of that model", 0, {0}},
        {"split", SHARD_FIELD_I64, 0, "", "0 train, 1 validation, 2 test (per model: no model's views in two splits)", 0, {0}},
        {"view_direction", SHARD_FIELD_F64, 3, "", "the line of sight (observer's +z) in the model's orbital frame", 0, {0}},
        {"dx", SHARD_FIELD_F64, 0, "m", coemunet_dx ? "cell size given to the solver (coemunet_box_over_64: twice the pitch)"
                                                     : "cell size given to the solver (physical_pitch)", 0, {0}},
        {"model_parameters", SHARD_FIELD_F64, WIND_NPARAM, "see the attribute parameter_names",
         "mdot, v_inf, beta, period, separation, eccentricity, spiral_contrast, spiral_width, ede_contrast, ede_height, "
         "t_star, t_slope, x_co, v_turb, phase", 0, {0}},
    };
    shard_writer *w = shard_writer_open(output, mcount * V, G, F, fields, NFIELD, "generate", params_text);

    size_t g3 = (size_t)G * G * G, gs3 = (size_t)Gs * Gs * Gs;
    /* the model in its orbital frame (5 x Gs^3: vx, vy, vz, T, n) and one view (3 x G^3: v_z, T, n) */
    double *model = xmalloc((5 * gs3 + 3 * g3) * sizeof *model), *view = model + 5 * gs3;
    const int64_t B = view_block(V, G, F); /* views solved and written at once */
    float *in = xmalloc((size_t)B * 3 * g3 * sizeof *in), *out = xmalloc((size_t)B * F * G * G * sizeof *out);
    double *dbl = xmalloc(3 * g3 * sizeof *dbl), *image = xmalloc((size_t)G * G * F * sizeof *image);
    int64_t *ids = xmalloc(3 * (size_t)B * sizeof *ids);
    double *dirs = xmalloc((size_t)B * (4 + WIND_NPARAM) * sizeof *dirs), *dxs = dirs + 3 * B, *pars = dxs + B;

    /* where rank 0's time goes (the benchmark's solver / I/O split) */
    double t_model = 0, t_view = 0, t_solve = 0, t_write = 0, t0;
    progress pr;
    progress_start(&pr, "generate (rank 0's share)", "samples", mcount * V, 4.0 * (double)(3 * g3 + (size_t)F * G * G));
    for (int64_t m = m0; m < m0 + mcount; m++) {
        rng r;
        rng_seed(&r, seed, (uint64_t)m);
        wind_params wp;
        wind_draw(&rg, &r, &wp);
        t0 = clock_now();
        wind_fill(&wp, Gs, pitch, t_floor, model, model + gs3, model + 2 * gs3, model + 3 * gs3, model + 4 * gs3);
        s.v_turb = wp.v_turb;
        t_model += clock_now() - t0;
        for (int64_t v0 = 0; v0 < V; v0 += B) {
            const int64_t nb = V - v0 < B ? V - v0 : B;
            for (int64_t v = v0; v < v0 + nb; v++) {
                const int64_t b = v - v0; /* the view's place in this block */
                double R[9];
                t0 = clock_now();
                if (faceon) view_identity(R);
                else {
                    rng rv;
                    rng_seed(&rv, seed, (1ULL << 32) + (uint64_t)(m * V + v));
                    view_random_rotation(&rv, R);
                }
                view_resample(R, Gs, model, model + gs3, model + 2 * gs3, model + 3 * gs3, model + 4 * gs3, G, t_floor, n_out,
                              view, view + g3, view + 2 * g3);
                float *x = in + (size_t)b * 3 * g3;
                for (size_t i = 0; i < 3 * g3; i++) x[i] = (float)view[i], dbl[i] = (double)x[i];
                /* ranks hold different numbers of models: a bad model is agreed on after the loop */
                if (!error_pending() && rt_check_model(G, G, G, dbl, dbl + g3, dbl + 2 * g3, NULL) != 0) {
                    char msg[512];
                    snprintf(msg, sizeof msg, "%s", error_message());
                    error_clear();
                    error_set("generate: model %lld view %lld: %s (check the parameter ranges)", (long long)m, (long long)v, msg);
                }
                t_view += clock_now() - t0;
                t0 = clock_now();
                if (!error_pending()) rt_image(&s, G, G, G, dbl, dbl + g3, dbl + 2 * g3, image, threads);
                t_solve += clock_now() - t0;
                float *y = out + (size_t)b * F * G * G; /* (1, F, G, G) <- I[x][y][f], stored as |I| as COEmuNet does */
                for (int f = 0; f < F; f++)
                    for (size_t p = 0; p < (size_t)G * G; p++) y[(size_t)f * G * G + p] = (float)fabs(image[p * F + f]);
                ids[b] = m, ids[B + b] = v, ids[2 * B + b] = model_split(seed, m, fval, ftest);
                view_direction(R, dirs + 3 * b);
                dxs[b] = dx;
                memcpy(pars + b * WIND_NPARAM, &wp, sizeof wp);
            }
            int64_t local = (m - m0) * V + v0;
            t0 = clock_now();
            shard_write(w, local, nb, in, out);
            shard_write_field(w, 0, local, nb, ids);
            shard_write_field(w, 1, local, nb, ids + B);
            shard_write_field(w, 2, local, nb, ids + 2 * B);
            shard_write_field(w, 3, local, nb, dirs);
            shard_write_field(w, 4, local, nb, dxs);
            shard_write_field(w, 5, local, nb, pars);
            t_write += clock_now() - t0;
            progress_update(&pr, local + nb);
        }
    }
    collective_fail_if(error_pending());
    t0 = clock_now();
    shard_writer_finish(w);
    t_write += clock_now() - t0;
    message0("generate timing (rank 0, %lld samples): models %.3f s, views %.3f s, solver %.3f s (%.1f samples/s), "
             "writing %.3f s", (long long)(mcount * V), t_model, t_view, t_solve, t_solve > 0 ? mcount * V / t_solve : 0.0,
             t_write);
    message0("generate: wrote %lld samples (%lld models x %lld views, grid %d, %d channels, dx %.6e m) to %s",
             (long long)(nmodels * V), (long long)nmodels, (long long)V, G, F, dx, output);
    jlog("end", "\"output\": \"%s\"", output);
    jlog_close();
    free(model), free(in), free(out), free(dbl), free(image), free(ids), free(dirs), free(freq);
    rt_line_free(&line);
    lamda_free(&lamda);
    return 0;
}

const stage stage_generate = {
    .name = "generate",
    .summary = "the RT-emulator dataset: wind models x views, solved, sharded HDF5 (COEmuNet layout)",
    .params = generate_params,
    .sections = generate_sections,
    .run = generate_run,
    .check = generate_check,
};
