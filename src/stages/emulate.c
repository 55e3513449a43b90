/**
 * @file emulate.c
 * @brief `synobs emulate`: a trained model applied to any set of models (a dataset's `input`),
 * image cubes written de-normalised to physical intensity as a sharded dataset in the COEmuNet
 * layout (so `evaluate` and `stats` read it), with the inference time per sample beside the RT
 * solver's time on the same inputs (the paper's speed-up table).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/log.h"
#include "io/checkpoint.h"
#include "io/h5util.h"
#include "io/lamda.h"
#include "io/shard.h"
#include "mpi/collective.h"
#include "mpi/decomp.h"
#include "rt/constants.h"
#include "rt/line.h"
#include "rt/solver.h"
#include "stages/stage.h"
#include "stages/train_common.h"

static const param_decl emulate_params[] = {
    {"emulate", "model", PARAM_STRING, NULL, 0, 0, NULL, "", "trained model (model.h5 of synobs train, or a checkpoint)"},
    {"emulate", "input", PARAM_STRING, NULL, 0, 0, NULL, "",
     "models to image: a dataset whose `input` holds (N,3,G,G,G) v_z [m/s], T [K], n_CO [m^-3] (its `output` is not used)"},
    {"emulate", "output", PARAM_STRING, NULL, 0, 0, NULL, "", "master file of the emulated dataset (shards beside it)"},
    {"emulate", "batch", PARAM_INT, "8", 1, 1e6, NULL, "samples", "inference batch"},
    {"emulate", "solver_samples", PARAM_INT, "4", 0, 1e6, NULL, "samples",
     "inputs also imaged by the RT solver on rank 0, one thread and the stage's threads, for the speed-up (0: skip)"},
    {"emulate", "lamda_file", PARAM_STRING, SYNOBS_DATA_DIR "/co.dat", 0, 0, NULL, "", "LAMDA file for the solver timing"},
    {"emulate", "transition", PARAM_INT, "2", 1, 1e6, NULL, "", "radiative transition for the solver timing"},
    {"emulate", "molar_mass", PARAM_REAL, "28.0", 1e-3, 1e6, NULL, "u", "molecular mass for the solver timing"},
    {"emulate", "channel_width", PARAM_REAL, "300", 1e-3, 1e7, NULL, "m/s", "channel spacing for the solver timing"},
    {"emulate", "dx", PARAM_REAL, "1e11", 1, 1e30, NULL, "m", "cell size for the solver when the input has no dx field"},
    {"emulate", "v_turb", PARAM_REAL, "1000", 0, 1e7, NULL, "m/s", "turbulent width for the solver timing"},
    TRAIN_COMMON_PARAMS("emulate"),
    PARAM_END};

static const char *const emulate_sections[] = {"emulate", NULL};

/* Seconds per image of the RT solver on the first `count` inputs (physical), with `threads` threads. */
static double solver_seconds(const params *ps, const float *in, int count, int G, int F, double dx, int threads)
{
    lamda_data lamda;
    rt_line line;
    if (rt_line_load(params_string(ps, "emulate", "lamda_file"), (int)params_int(ps, "emulate", "transition"),
                     params_real(ps, "emulate", "molar_mass"), &lamda, &line) != 0)
        return NAN;
    double *freq = xmalloc((size_t)F * sizeof *freq), dv = params_real(ps, "emulate", "channel_width");
    for (int f = 0; f < F; f++) freq[f] = line.nu0 * (1.0 + (f - 0.5 * (F - 1)) * dv / RT_C);
    rt_setup s = {.mode = RT_MODE_LINE, .line = &line, .nfreq = F, .freq = freq, .dx = dx,
                  .v_turb = params_real(ps, "emulate", "v_turb"), .boundary = RT_BOUNDARY_ZERO};
    size_t g3 = (size_t)G * G * G;
    double *d = xmalloc(3 * g3 * sizeof *d), *image = xmalloc((size_t)G * G * F * sizeof *image), total = 0;
    for (int i = 0; i < count; i++) {
        for (size_t j = 0; j < 3 * g3; j++) d[j] = in[(size_t)i * 3 * g3 + j];
        double t0 = log_elapsed();
        rt_image(&s, G, G, G, d, d + g3, d + 2 * g3, image, threads);
        total += log_elapsed() - t0;
    }
    free(d), free(image), free(freq);
    rt_line_free(&line);
    lamda_free(&lamda);
    return total / count;
}

static int emulate_check(const params *ps, const char *params_text, stage_plan *plan)
{
    (void)params_text;
    plan_file model, data;
    if (plan_model(plan, ps, "emulate", "model", &model) != 0 || plan_dataset(plan, ps, "emulate", "input", &data) != 0 ||
        plan_output(ps, "emulate", "output") != 0)
        return -1;
    if (model.grid && data.grid && model.grid != data.grid)
        return error_set("%s: [emulate] input %s has grid %d, but the model %s is for grid %d",
                         params_origin(ps, "emulate", "input"), data.path, data.grid, model.path, model.grid);
    if (params_int(ps, "emulate", "solver_samples") > 0 && plan_lamda(ps, "emulate") != 0) return -1;
    plan_add(plan, params_string(ps, "emulate", "output"), PLAN_DATASET, model.grid, model.channels, false);
    return 0;
}

static int emulate_run(const params *ps, const char *params_text)
{
    const char *model_path = params_string(ps, "emulate", "model"), *input = params_string(ps, "emulate", "input");
    const char *output = params_string(ps, "emulate", "output");
    const int batch = (int)params_int(ps, "emulate", "batch"), threads = (int)params_int(ps, "emulate", "threads");
    train_common_threads(ps, "emulate");
    collective_fail_if(log_rank() == 0 && path_make_parent(output) != 0);
    train_state st;
    nn_graph g;
    train_common_load_model(model_path, train_common_backend(ps, "emulate"), batch, &g, &st);
    dataset *ds;
    collective_fail_if(dataset_open(input, &ds) != 0);
    const int G = dataset_grid(ds), F = st.model.channels;
    if (G != st.model.grid) {
        error_set("%s: grid %d, but the model %s was trained on grid %d", input, G, model_path, st.model.grid);
        collective_fail_if(true);
    }
    const int64_t N = dataset_samples(ds);
    int64_t first, count;
    decomp_block(N, log_rank(), log_size(), &first, &count);
    shard_writer *w = shard_writer_open(output, count, G, F, NULL, 0, "emulate", params_text);
    const size_t cells = (size_t)G * G * G, in_f = 3 * cells, out_f = (size_t)F * G * G;
    float *raw = xmalloc((size_t)batch * in_f * sizeof *raw), *x = xmalloc((size_t)batch * in_f * sizeof *x);
    float *out = xmalloc((size_t)batch * out_f * sizeof *out);
    double *phys = xmalloc(out_f * sizeof *phys), infer = 0;
    int64_t timed = 0;
    int rc = 0;
    message0("emulate: model %s on %lld inputs of %s (grid %d, %d channel(s)), batch %d", model_path, (long long)N, input, G,
             F, batch);
    nn_graph_fold_bn(&g);
    for (int64_t b0 = 0; b0 < count && rc == 0 && !h5_write_failed(); b0 += batch) {
        int64_t m = count - b0 < batch ? count - b0 : batch;
        rc = dataset_read(ds, first + b0, m, raw, NULL);
        if (rc) break;
        for (int64_t i = 0; i < batch; i++) {
            const float *r = raw + (size_t)(i < m ? i : m - 1) * in_f; /* a short batch repeats its last input */
            nn_norm_inputs(&st.norm, cells, r, r + cells, r + 2 * cells, x + (size_t)i * in_f);
        }
        double t0 = log_elapsed();
        const float *y = nn_forward(&g, x, false);
        double dt = log_elapsed() - t0;
        if (b0 > 0) infer += dt, timed += batch; /* the first batch warms up */
        for (int64_t i = 0; i < m; i++) {
            nn_denorm_intensity(&st.norm, out_f, y + (size_t)i * out_f, phys);
            for (size_t j = 0; j < out_f; j++) out[(size_t)i * out_f + j] = (float)phys[j];
        }
        shard_write(w, b0, m, raw, out);
    }
    collective_fail_if(rc != 0);
    shard_writer_finish(w);
    double ms = timed ? 1e3 * infer / (double)timed : NAN;
    message0("emulate: wrote %lld emulated cubes to %s", (long long)N, output);

    int ns = (int)params_int(ps, "emulate", "solver_samples");
    if (log_rank() == 0 && ns > 0 && count > 0) {
        ns = ns < count ? ns : (int)count;
        double dx = params_real(ps, "emulate", "dx");
        double *dxs = xmalloc((size_t)N * sizeof *dxs);
        if (dataset_read_field_f64(ds, "dx", dxs) == 0) dx = dxs[first];
        error_clear();
        free(dxs);
        float *in = xmalloc((size_t)ns * in_f * sizeof *in);
        if (dataset_read(ds, first, ns, in, NULL) == 0) {
            double s1 = solver_seconds(ps, in, ns, G, F, dx, 1), sn = solver_seconds(ps, in, ns, G, F, dx, threads);
            message0("emulate: speed: emulator %.3f ms/sample (batch %d, inference only, warm); RT solver %.3f s/image on 1 "
                     "thread, %.3f s/image on the stage's threads: speed-up %.3gx (1 thread) and %.3gx",
                     ms, batch, s1, sn, s1 / (ms * 1e-3), sn / (ms * 1e-3));
            char logpath[4200];
            snprintf(logpath, sizeof logpath, "%s.log.jsonl", output);
            jlog_open(logpath);
            jlog("speed", "\"emulator_ms_per_sample\": %.6g, \"batch\": %d, \"solver_s_per_image_1thread\": %.6g, "
                 "\"solver_s_per_image\": %.6g, \"solver_samples\": %d, \"grid\": %d, \"channels\": %d",
                 ms, batch, s1, sn, ns, G, F);
            jlog_close();
        } else
            warning0("emulate: solver timing skipped: %s", error_message());
        free(in);
    } else
        message0("emulate: emulator %.3f ms/sample (batch %d, inference only, warm)", ms, batch);
    free(raw), free(x), free(out), free(phys);
    dataset_close(ds);
    history_free(&st.hist);
    nn_graph_free(&g);
    return 0;
}

const stage stage_emulate = {"emulate", "apply a trained model to a set of models: emulated cubes (sharded), speed vs the solver",
                             emulate_params, emulate_sections, emulate_run, NULL, emulate_check};
