/**
 * @file synth.c
 * @brief `synobs synth`: a seeded synthetic dataset in the COEmuNet layout, for benchmarks, tests
 * and the demo until `synobs generate` (the RT-solved wind models) lands.
 *
 * Each sample is a smooth, wind-like model on a G^3 grid, drawn from its own random stream
 * (seed, sample index), so the data do not depend on the rank count:
 *   n_CO = n0 (r/r1)^-2 e^{0.2 N(0,1)}  [m^-3], n0 = 10^U(8,11)        (mass conservation of a steady wind)
 *   T    = max(T0 (r/r1)^-0.7, 20) e^{0.05 N(0,1)}  [K], T0 = U(1000,3000) (a cooling power law)
 *   v_z  = v_inf z/r + 300 N(0,1)  [m/s], v_inf = U(5,20) km/s           (radial outflow seen along z)
 *   I    = I0 exp(-(x^2+y^2)/2s^2) exp(-(f-fc)^2/2w^2), exactly 0 outside radius G/2  [W m^-2 Hz^-1 sr^-1]
 * with r in cells from the grid centre and r1 = 1 cell. The images are not a radiative transfer
 * solution: they exercise the zero handling and the dynamic range of the preprocessing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/rng.h"
#include "io/h5util.h"
#include "io/shard.h"
#include "mpi/collective.h"
#include "mpi/decomp.h"
#include "stages/plan.h"
#include "stages/stage.h"

static const param_decl synth_params[] = {
    {"synth", "output", PARAM_STRING, NULL, 0, 0, NULL, "", "master file of the dataset; shards go to OUTPUT_STEM.shards/"},
    {"synth", "samples", PARAM_INT, NULL, 1, 1e9, NULL, "samples", "number of samples"},
    {"synth", "grid", PARAM_INT, "32", 4, 512, NULL, "cells", "grid size G of the G^3 model cubes and G^2 images"},
    {"synth", "channels", PARAM_INT, "7", 1, 256, NULL, "channels", "frequency channels F of each image"},
    {"synth", "seed", PARAM_INT, "1234", 0, 9.2e18, NULL, "", "seed of the random streams (one per sample)"},
    {"synth", "chunk_samples", PARAM_INT, "16", 1, 1e6, NULL, "samples", "samples generated and written at once per rank"},
    PARAM_END};

static const char *const synth_sections[] = {"synth", NULL};

enum { NPAR = 4 };

static void make_sample(uint64_t seed, int64_t index, int g, int nf, float *input, float *output, double *par)
{
    rng r;
    rng_seed(&r, seed, (uint64_t)index);
    double n0 = pow(10.0, 8.0 + 3.0 * rng_uniform(&r)), t0 = 1000.0 + 2000.0 * rng_uniform(&r);
    double vinf = 5e3 + 15e3 * rng_uniform(&r), i0 = pow(10.0, -14.0 + 2.0 * rng_uniform(&r));
    par[0] = n0; par[1] = t0; par[2] = vinf; par[3] = i0;
    size_t g3 = (size_t)g * g * g;
    float *vz = input, *temp = input + g3, *nco = input + 2 * g3;
    double c = 0.5 * (g - 1);
    for (int x = 0; x < g; x++)
        for (int y = 0; y < g; y++)
            for (int z = 0; z < g; z++) {
                size_t i = ((size_t)x * g + y) * g + z;
                double dx = x - c, dy = y - c, dz = z - c, rad = sqrt(dx * dx + dy * dy + dz * dz);
                nco[i] = (float)(n0 / (rad * rad) * exp(0.2 * rng_normal(&r)));
                double t = t0 * pow(rad, -0.7);
                temp[i] = (float)((t > 20.0 ? t : 20.0) * exp(0.05 * rng_normal(&r)));
                vz[i] = (float)(vinf * dz / rad + 300.0 * rng_normal(&r));
            }
    double s = 0.15 * g, w = 0.25 * nf + 0.5, fc = 0.5 * (nf - 1);
    for (int f = 0; f < nf; f++)
        for (int x = 0; x < g; x++)
            for (int y = 0; y < g; y++) {
                double dx = x - c, dy = y - c, r2 = dx * dx + dy * dy;
                double v = r2 > 0.25 * g * g ? 0.0
                         : i0 * exp(-r2 / (2 * s * s)) * exp(-(f - fc) * (f - fc) / (2 * w * w)) * (1.0 + 0.1 * rng_uniform(&r));
                output[((size_t)f * g + x) * g + y] = (float)v;
            }
}

static int synth_check(const params *ps, const char *params_text, stage_plan *plan)
{
    (void)params_text;
    int64_t chunk = params_int(ps, "synth", "chunk_samples");
    double g = (double)params_int(ps, "synth", "grid"), nf = (double)params_int(ps, "synth", "channels");
    char what[256];
    snprintf(what, sizeof what, "%s: [synth] chunk_samples = %lld at grid %d (%d channels)",
             params_origin(ps, "synth", "chunk_samples"), (long long)chunk, (int)g, (int)nf);
    if (plan_output(ps, "synth", "output") != 0 || plan_memory((double)chunk * (4.0 * (3.0 * g * g * g + nf * g * g) + 40.0), what) != 0)
        return -1;
    plan_add(plan, params_string(ps, "synth", "output"), PLAN_DATASET, (int)g, (int)nf, false);
    return 0;
}

static int synth_run(const params *ps, const char *params_text)
{
    const char *output = params_string(ps, "synth", "output");
    int64_t n = params_int(ps, "synth", "samples"), chunk = params_int(ps, "synth", "chunk_samples");
    int g = (int)params_int(ps, "synth", "grid"), nf = (int)params_int(ps, "synth", "channels");
    uint64_t seed = (uint64_t)params_int(ps, "synth", "seed");
    collective_fail_if(log_rank() == 0 && path_make_parent(output) != 0);
    char logpath[4200];
    snprintf(logpath, sizeof logpath, "%s.log.jsonl", output);
    jlog_open(logpath);
    char *q = json_quote_alloc(params_text);
    jlog("start", "\"stage\": \"synth\", \"ranks\": %d, \"samples\": %lld, \"parameters\": %s", log_size(), (long long)n,
         q);
    free(q);

    int64_t first, count;
    decomp_block(n, log_rank(), log_size(), &first, &count);
    const shard_field fields[] = {
        {"model_id", SHARD_FIELD_I64, 0, "", "index of the model the sample was drawn from", 0, {0}},
        {"model_parameters", SHARD_FIELD_F64, NPAR, "m^-3, K, m/s, W m^-2 Hz^-1 sr^-1", "n0, T0, v_inf, I0 of the synthetic model", 0, {0}},
    };
    shard_writer *w = shard_writer_open(output, count, g, nf, fields, 2, "synth", params_text);
    size_t in_per = 3 * (size_t)g * g * g, out_per = (size_t)nf * g * g;
    float *in = xmalloc((size_t)chunk * in_per * sizeof *in), *out = xmalloc((size_t)chunk * out_per * sizeof *out);
    double *par = xmalloc((size_t)chunk * NPAR * sizeof *par);
    int64_t *ids = xmalloc((size_t)chunk * sizeof *ids);
    progress pr;
    progress_start(&pr, "synth (rank 0's share)", "samples", count, 4.0 * (double)(in_per + out_per));
    for (int64_t s0 = 0; s0 < count; s0 += chunk) {
        int64_t m = count - s0 < chunk ? count - s0 : chunk;
        for (int64_t s = 0; s < m; s++) {
            ids[s] = first + s0 + s;
            make_sample(seed, ids[s], g, nf, in + s * in_per, out + s * out_per, par + s * NPAR);
        }
        shard_write(w, s0, m, in, out);
        shard_write_field(w, 0, s0, m, ids);
        shard_write_field(w, 1, s0, m, par);
        progress_update(&pr, s0 + m);
    }
    shard_writer_finish(w);
    message0("synth: wrote %lld samples (grid %d, %d channels) to %s", (long long)n, g, nf, output);
    jlog("end", "\"output\": \"%s\"", output);
    jlog_close();
    free(in);
    free(out);
    free(par);
    free(ids);
    return 0;
}

const stage stage_synth = {"synth", "a seeded synthetic dataset in the COEmuNet layout (benchmarks, tests, demo)",
                           synth_params, synth_sections, synth_run, NULL, synth_check};
