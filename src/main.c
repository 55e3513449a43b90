/**
 * @file main.c
 * @brief synobs: the stage table, the command line, MPI_Init/Finalize. Nothing else.
 *
 *   synobs STAGE PARAMS [-P section.key=value ...] [--quiet] [--check]
 *   synobs STAGE --help | synobs --help | synobs --version
 *   synobs campaign            (the embedded demo campaign)
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/build_info.h"
#ifdef SYNOBS_HAVE_CUDA
#include "cuda/device.h"
#endif
#include "core/check.h"
#include "core/log.h"
#include "core/signals.h"
#include "core/params.h"
#include "io/h5util.h"
#include "io/provenance.h"
#include "mpi/collective.h"
#include "stages/stage.h"

static void usage(void)
{
    printf("synobs %s: synthetic observations of simulations, at cluster scale\n\n"
           "usage: [srun|mpirun -n N] synobs STAGE PARAMS [-P section.key=value ...] [--quiet] [--check]\n"
           "       synobs STAGE --help     list the stage's parameters: type, default, range, meaning\n"
           "       --check                 make every check the stage (or campaign) makes before it works, then stop\n"
           "       synobs campaign         run the embedded demo campaign (inputs/demo.par)\n"
           "       synobs --version        version, git hash, build and libraries\n\n"
           "stages:\n", synobs_version);
    for (const stage *const *s = stage_table; *s; s++) printf("  %-10s %s\n", (*s)->name, (*s)->summary);
    printf("\nParameter files: [section] headers, 'key = value' lines, '#' comments. Unknown keys, wrong types,\n"
           "out-of-range values, duplicates and missing required keys stop the run before any work, naming file:line.\n"
           "The resolved parameters (defaults included) go into every output file and its JSON-lines log.\n");
}

static void version(void)
{
    printf("synobs %s (git %s), %s build, %s\nflags:%s\nlibraries: %s\nCUDA backend: %s\n", synobs_version,
           synobs_git_hash, synobs_build_type, synobs_compiler, synobs_c_flags, provenance_libraries(),
           synobs_have_cuda ? "built" : "not built");
#ifdef SYNOBS_HAVE_CUDA
    const char *why = "";
    int n = cuda_device_count(&why);
    if (n == 0) printf("GPUs: none usable here (%s)\n", why);
    for (int i = 0; i < n; i++) {
        char name[256];
        cuda_device_name(i, name, sizeof name);
        printf("GPU %d: %s\n", i, name);
    }
#endif
}

/* Rank 0 reads and checks; the others get the resolved text. Returns the resolved text. */
static params *load_params(const stage *st, const char *path, int n_over, char **over, char **resolved)
{
    params *ps = params_new(stage_all_params());
    char *text = NULL;
    int rc = 0;
    if (log_rank() == 0) {
        if (path && st->file_key) {
            /* FILE is the stage's input, not a parameter file: it becomes section.key = FILE */
            size_t n = strlen(st->file_key) + strlen(path) + 2;
            char *assign = xmalloc(n);
            snprintf(assign, n, "%s=%s", st->file_key, path);
            rc = params_override(ps, assign);
            free(assign);
        } else if (path) rc = params_parse_file(ps, path);
        else rc = params_parse_text(ps, synobs_demo_par, "inputs/demo.par (embedded)");
        for (int i = 0; i < n_over && rc == 0; i++) rc = params_override(ps, over[i]);
        char who[64];
        snprintf(who, sizeof who, "stage %s", st->name);
        if (rc == 0) rc = params_check_required(ps, st->sections, who);
        /* a campaign runs other stages: its resolved set includes all their sections, defaults too */
        text = rc == 0 ? params_resolved_text(ps, st == &stage_campaign ? stage_all_sections() : st->sections) : NULL;
        /* every output records the parameters in one HDF5 attribute, which holds at most 64 KiB */
        if (text && strlen(text) > PARAMS_TEXT_MAX) {
            rc = error_set("%s: the resolved parameters take %zu bytes, more than the %d that outputs can record: "
                           "shorten the longest values", path ? path : "-P", strlen(text), PARAMS_TEXT_MAX);
            free(text);
            text = NULL;
        }
    }
    /* one broadcast carries either the resolved text or the error */
    char *msg = NULL;
    if (log_rank() == 0) {
        size_t n = (text ? strlen(text) : strlen(error_message())) + 2;
        msg = xmalloc(n);
        snprintf(msg, n, "%c%s", rc == 0 ? '+' : '-', rc == 0 ? text : error_message());
    }
    char *all = mpi_bcast_string(msg);
    free(msg);
    free(text);
    if (all[0] == '-') {
        error_set("%s", all + 1);
        collective_fail_if(log_rank() == 0);
    }
    if (log_rank() != 0 && params_parse_text(ps, all + 1, "resolved parameters") != 0) collective_fail_if(true);
    collective_fail_if(false);
    *resolved = xstrdup(all + 1);
    free(all);
    return ps;
}

int main(int argc, char **argv)
{
    signals_start(); /* before MPI_Init: no thread but one ever takes SIGUSR1/SIGTERM */
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    bool quiet = false, help = false, check_only = false;
    const char *stage_name = NULL, *path = NULL;
    char **over = calloc((size_t)argc, sizeof *over);
    int n_over = 0, bad = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) quiet = true;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) help = true;
        else if (!strcmp(argv[i], "--check")) check_only = true;
        else if (!strcmp(argv[i], "--version")) { if (rank == 0) version(); free(over); MPI_Finalize(); return 0; }
        else if (!strcmp(argv[i], "-P") && i + 1 < argc) over[n_over++] = argv[++i];
        else if (!strncmp(argv[i], "-P", 2) && argv[i][2]) over[n_over++] = argv[i] + 2;
        else if (argv[i][0] == '-') bad = i;
        else if (!stage_name) stage_name = argv[i];
        else if (!path) path = argv[i];
        else bad = i;
    }
    log_init(rank, size, quiet);
    h5_quiet();
    const stage *st = stage_name ? stage_find(stage_name) : NULL;
    if (help || !stage_name || bad || !st || (!path && st != &stage_campaign)) {
        int status = 0;
        if (rank == 0) {
            if (help && st) {
                printf("synobs %s: %s\n\nusage: synobs %s %s [-P section.key=value ...] [--quiet] [--check]\n", st->name,
                       st->summary, st->name, st->file_key ? "FILE" : "PARAMS");
                params_print_help(stage_all_params(), st == &stage_campaign ? stage_all_sections() : st->sections);
            } else if (help && !stage_name) usage();
            else {
                if (bad) fprintf(stderr, "synobs: error: unknown option '%s' ('synobs --help' lists the usage)\n", argv[bad]);
                else if (stage_name && !st) fprintf(stderr, "synobs: error: unknown stage '%s' ('synobs --help' lists the stages)\n", stage_name);
                else if (stage_name) fprintf(stderr, "synobs: error: stage %s needs %s ('synobs %s --help')\n", stage_name, st->file_key ? "a FILE" : "a parameter file", stage_name);
                else usage();
                status = stage_name || bad ? 2 : 0;
            }
        }
        MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
        free(over);
        MPI_Finalize();
        return status;
    }
    char *resolved;
    params *ps = load_params(st, path, n_over, over, &resolved);
    message0("synobs %s (git %s), stage %s, %d rank(s), parameters from %s", synobs_version, synobs_git_hash, st->name,
             size, path ? path : "inputs/demo.par (embedded)");
    if (!quiet && rank == 0) printf("%s\n", resolved);
    /* every check the parameters and input files allow, for every stage a campaign runs, before any works */
    stage_plan plan = {0};
    collective_fail_if(rank == 0 && st->check && st->check(ps, resolved, &plan) != 0);
    plan_free(&plan);
    if (check_only) {
        message0("synobs %s: the parameters and inputs pass every check made before work (--check: nothing run)", st->name);
        params_free(ps);
        free(resolved);
        free(over);
        MPI_Finalize();
        return 0;
    }
    int status = st->run(ps, resolved);
    params_free(ps);
    free(resolved);
    free(over);
    MPI_Finalize();
    return status;
}
