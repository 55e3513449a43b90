/**
 * @file solve.c
 * @brief `synobs solve`: image one model in one line (or the dust continuum) with the LTE solver.
 * Input and output layouts are those of shared/reference/rt (io/rtmodel.h); the output holds
 * I (nx, ny, nf) float64 in W m^-2 Hz^-1 sr^-1. Pixel columns are split across ranks in blocks
 * and across threads within a rank; rank 0 gathers and writes. With repeat = N it solves N times
 * and prints the median time per image (solve only: no start-up, no I/O).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "io/h5util.h"
#include "io/provenance.h"
#include "io/rtmodel.h"
#include "mpi/collective.h"
#include "mpi/decomp.h"
#include "rt/constants.h"
#include "rt/solver.h"
#include "stages/stage.h"
#ifdef SYNOBS_HAVE_CUDA
#include "cuda/rt_solver.h"
#endif

static const param_decl solve_params[] = {
    {"solve", "input", PARAM_STRING, NULL, 0, 0, NULL, "", "HDF5 file with the model (v_z, T, n_CO, frequencies; attributes dx, v_turb, boundary)"},
    {"solve", "group", PARAM_STRING, "/", 0, 0, NULL, "", "group of the input file that holds the model"},
    {"solve", "output", PARAM_STRING, NULL, 0, 0, NULL, "", "HDF5 file to write: I (nx, ny, nf) float64 and the frequencies"},
    {"solve", "mode", PARAM_CHOICE, "line", 0, 0, "line|dust", "", "line: LTE line transfer; dust: thermal dust continuum on the same formal solution"},
    {"solve", "lamda_file", PARAM_STRING, SYNOBS_DATA_DIR "/co.dat", 0, 0, NULL, "", "LAMDA molecular data file (the default is the CO file shipped in inputs/)"},
    {"solve", "transition", PARAM_INT, "2", 1, 1e6, NULL, "", "radiative transition number in the LAMDA file (1-based: 2 is CO J=2-1)"},
    {"solve", "molar_mass", PARAM_REAL, "28.0", 1e-3, 1e6, NULL, "u", "molecular mass for the thermal line width (COEmuNet and Pomme use 28.0 for CO)"},
    {"solve", "dust_kappa0", PARAM_REAL, "0.01", 0, 1e10, NULL, "m^2 kg^-1", "dust mode: opacity per unit gas mass at dust_nu_ref"},
    {"solve", "dust_nu_ref", PARAM_REAL, "1e12", 1, 1e20, NULL, "Hz", "dust mode: reference frequency of the opacity law"},
    {"solve", "dust_beta", PARAM_REAL, "1.0", -5, 5, NULL, "", "dust mode: opacity index, kappa = kappa0 (nu/nu_ref)^beta"},
    {"solve", "dust_x_co", PARAM_REAL, "1e-4", 1e-12, 1, NULL, "", "dust mode: n_CO / n_H2, to turn n_CO into the gas density"},
    {"solve", "dust_mu_h2", PARAM_REAL, "2.8", 1, 100, NULL, "u", "dust mode: mean mass per H2 molecule, helium included"},
    {"solve", "engine", PARAM_CHOICE, "fast", 0, 0, "fast|reference|cuda", "",
     "fast: vectorised (SLEEF) on threads; reference: the plain scalar column of the spec, one thread (benchmarks); "
     "cuda: the GPU of the rank (line mode, CUDA builds)"},
    {"solve", "threads", PARAM_INT, "0", 0, 4096, NULL, "threads", "threads per rank over pixel columns (0: all cores)"},
    {"solve", "repeat", PARAM_INT, "1", 1, 1e6, NULL, "", "solve the same model N times and print the median solve time per image"},
    PARAM_END};

static const char *const solve_sections[] = {"solve", NULL};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int write_image(const char *path, const rt_model *m, const rt_setup *s, const double *I, const char *params_text)
{
    char *tmp;
    hid_t f = h5_create_partial(path, &tmp);
    hsize_t dims[3] = {(hsize_t)m->nx, (hsize_t)m->ny, (hsize_t)m->nf}, chunk[3] = {dims[0], dims[1], 1};
    hid_t sp = H5Screate_simple(3, dims, NULL), dcpl = h5_dcpl_chunked(3, chunk);
    hid_t d = H5Dcreate2(f, "I", H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5_CHECK(d);
    H5_CHECK(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, I));
    h5_attr_string(d, "units", "W m^-2 Hz^-1 sr^-1");
    h5_attr_string(d, "axes", "[x][y][channel]; pixel (x, y) is the ray along z, observer at z-index 0");
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
    hsize_t nf = (hsize_t)m->nf;
    sp = H5Screate_simple(1, &nf, NULL);
    d = H5Dcreate2(f, "frequencies", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, m->freq));
    h5_attr_string(d, "units", "Hz");
    H5Dclose(d);
    H5Sclose(sp);
    h5_attr_f64(f, "dx", m->dx);
    h5_attr_string(f, "boundary", m->boundary);
    if (s->mode == RT_MODE_LINE) {
        h5_attr_f64(f, "line_frequency", s->line->nu0);
        h5_attr_f64(f, "molar_mass", s->line->mass / RT_AMU);
    }
    provenance_write(f, "solve", params_text);
    return h5_commit_partial(f, tmp, path);
}

static int solve_check(const params *ps, const char *params_text, stage_plan *plan)
{
    (void)params_text;
    bool dust = strcmp(params_string(ps, "solve", "mode"), "dust") == 0;
    bool gpu = strcmp(params_string(ps, "solve", "engine"), "cuda") == 0;
#ifndef SYNOBS_HAVE_CUDA
    if (gpu)
        return error_set("%s: [solve] engine = cuda: this synobs was built without the CUDA backend",
                         params_origin(ps, "solve", "engine"));
#endif
    if (gpu && dust)
        return error_set("%s: [solve] engine = cuda images lines only (mode = line)", params_origin(ps, "solve", "engine"));
    if (plan_file_input(plan, ps, "solve", "input", PLAN_OTHER) != 0 || plan_output(ps, "solve", "output") != 0) return -1;
    if (!dust && plan_lamda(ps, "solve") != 0) return -1;
    plan_add(plan, params_string(ps, "solve", "output"), PLAN_OTHER, 0, 0, false);
    return 0;
}

static int solve_run(const params *ps, const char *params_text)
{
    const char *input = params_string(ps, "solve", "input"), *output = params_string(ps, "solve", "output");
    int dust = strcmp(params_string(ps, "solve", "mode"), "dust") == 0;
    int threads = (int)params_int(ps, "solve", "threads"), repeat = (int)params_int(ps, "solve", "repeat");
    int reference = strcmp(params_string(ps, "solve", "engine"), "reference") == 0;
#ifdef SYNOBS_HAVE_CUDA
    int gpu = strcmp(params_string(ps, "solve", "engine"), "cuda") == 0; /* solve_check refuses it without CUDA */
#endif
    collective_fail_if(log_rank() == 0 && path_make_parent(output) != 0); /* solve_check has tested the engine */

    lamda_data lamda = {0};
    rt_line line = {0};
    rt_model m;
    int bad = !dust && rt_line_load(params_string(ps, "solve", "lamda_file"), (int)params_int(ps, "solve", "transition"),
                                    params_real(ps, "solve", "molar_mass"), &lamda, &line) != 0;
    collective_fail_if(bad);
    collective_fail_if(rt_model_read(input, params_string(ps, "solve", "group"), &m) != 0);
    bad = rt_check_model(m.nx, m.ny, m.nz, m.vz, m.T, m.n, m.v_turb_field) != 0;
    if (bad) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", error_message());
        error_clear();
        error_set("%s: group '%s': %s", input, params_string(ps, "solve", "group"), msg);
    }
    collective_fail_if(bad);

    rt_setup s = {.mode = dust ? RT_MODE_DUST : RT_MODE_LINE, .line = dust ? NULL : &line,
                  .dust = {params_real(ps, "solve", "dust_kappa0"), params_real(ps, "solve", "dust_nu_ref"),
                           params_real(ps, "solve", "dust_beta"), params_real(ps, "solve", "dust_x_co"),
                           params_real(ps, "solve", "dust_mu_h2")},
                  .nfreq = m.nf, .freq = m.freq, .dx = m.dx, .v_turb = m.v_turb, .v_turb_field = m.v_turb_field,
                  .boundary = strcmp(m.boundary, "cmb") == 0 ? RT_BOUNDARY_CMB : RT_BOUNDARY_ZERO};
    /* this rank's pixel columns: a contiguous block of the (nx*ny) columns */
    int64_t first, count, ncol = (int64_t)m.nx * m.ny;
    decomp_block(ncol, log_rank(), log_size(), &first, &count);
    size_t o = (size_t)first * m.nz;
    double *local = xmalloc((size_t)(count ? count : 1) * m.nf * sizeof *local), *times = xmalloc((size_t)repeat * sizeof *times);
    rt_setup sl = s;
    if (s.v_turb_field) sl.v_turb_field = s.v_turb_field + o;
    for (int r = 0; r < repeat; r++) {
        MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
        double t0 = clock_now();
        if (count && reference) rt_image_reference(&sl, 1, (int)count, m.nz, m.vz + o, m.T + o, m.n + o, local);
#ifdef SYNOBS_HAVE_CUDA
        else if (count && gpu) bad = cuda_rt_image(&sl, 1, (int)count, m.nz, m.vz + o, m.T + o, m.n + o, local, NULL) != 0;
#endif
        else if (count) rt_image(&sl, 1, (int)count, m.nz, m.vz + o, m.T + o, m.n + o, local, threads);
        collective_fail_if(bad);
        double dt = clock_now() - t0;
        MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
        times[r] = dt;
    }
    qsort(times, (size_t)repeat, sizeof *times, cmp_double);
    double median = repeat % 2 ? times[repeat / 2] : 0.5 * (times[repeat / 2 - 1] + times[repeat / 2]);

    int size = log_size();
    int *counts = xmalloc(2 * (size_t)size * sizeof *counts), *displs = counts + size;
    for (int r = 0; r < size; r++) {
        int64_t f0, c0;
        decomp_block(ncol, r, size, &f0, &c0);
        counts[r] = (int)(c0 * m.nf);
        displs[r] = (int)(f0 * m.nf);
    }
    double *I = log_rank() == 0 ? xmalloc((size_t)ncol * m.nf * sizeof *I) : NULL;
    MPI_CHECK(MPI_Gatherv(local, (int)(count * m.nf), MPI_DOUBLE, I, counts, displs, MPI_DOUBLE, 0, MPI_COMM_WORLD));
    collective_fail_if(log_rank() == 0 && write_image(output, &m, &s, I, params_text) != 0);
    message0("solve: %d x %d pixels x %d channels along %d cells (%s, %s engine, %d rank(s), vector width %d) -> %s",
             m.nx, m.ny, m.nf, m.nz, dust ? "dust" : "line", reference ? "reference" : "fast", size,
             reference ? 1 : rt_fast_width(), output);
    message0("solve time per image: %.6f s", median);
    message0("solve minimum time per image: %.6f s", times[0]); /* benchmarks on a shared machine take the minimum */
    free(I);
    free(counts);
    free(local);
    free(times);
    rt_model_free(&m);
    rt_line_free(&line);
    lamda_free(&lamda);
    return 0;
}

const stage stage_solve = {"solve", "image one model with the LTE line solver (or dust continuum); Pomme's numerics",
                           solve_params, solve_sections, solve_run, NULL, solve_check};
