/**
 * @file plan.c
 * @brief The checks before any work (see plan.h): inputs made earlier or present, outputs that
 * can be written, memory that can exist.
 */
#include "stages/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/check.h"
#include "io/checkpoint.h"
#include "io/dataset.h"
#include "io/h5util.h"
#include "io/lamda.h"
#include "rt/line.h"

void plan_add(stage_plan *p, const char *path, plan_kind kind, int grid, int channels, bool has_split)
{
    p->files = realloc(p->files, (size_t)(p->n + 1) * sizeof *p->files);
    ALLOC_CHECK(p->files, p->n + 1);
    p->files[p->n++] = (plan_file){xstrdup(path), kind, grid, channels, has_split};
}

void plan_free(stage_plan *p)
{
    for (int i = 0; i < p->n; i++) free(p->files[i].path);
    free(p->files);
    p->files = NULL;
    p->n = 0;
}

/* The error just set, said again after where the key came from: "file:line: [section] key<sep><error>". */
static int blame(const params *ps, const char *section, const char *key, const char *sep)
{
    char msg[4096];
    snprintf(msg, sizeof msg, "%s", error_message());
    error_clear();
    if (!params_is_set(ps, section, key)) return error_set("[%s] %s (default)%s%s", section, key, sep, msg);
    return error_set("%s: [%s] %s%s%s", params_origin(ps, section, key), section, key, sep, msg);
}

/* "./a//b/./c" and "a/b/c" name one file: compare paths with these spellings removed. */
static void normal_path(const char *in, char *out, size_t n)
{
    size_t j = 0;
    while (in[0] == '.' && in[1] == '/') in += 2;
    for (size_t i = 0; in[i] && j + 1 < n; i++) {
        if (in[i] == '/' && (in[i + 1] == '/' || (in[i + 1] == '.' && in[i + 2] == '/'))) {
            if (in[i + 1] == '.') i++;
            continue;
        }
        out[j++] = in[i];
    }
    out[j] = '\0';
}

/* The newest planned file of this kind at this path, or NULL. */
static const plan_file *planned(const stage_plan *p, const char *path, plan_kind kind)
{
    char a[4200], b[4200];
    normal_path(path, a, sizeof a);
    for (int i = p->n - 1; i >= 0; i--) {
        normal_path(p->files[i].path, b, sizeof b);
        if (p->files[i].kind == kind && strcmp(a, b) == 0) return &p->files[i];
    }
    return NULL;
}

int plan_dataset(const stage_plan *p, const params *ps, const char *section, const char *key, plan_file *info)
{
    const char *spec = params_string(ps, section, key);
    const plan_file *f = planned(p, spec, PLAN_DATASET);
    if (f) {
        *info = *f;
        return 0;
    }
    int64_t n;
    *info = (plan_file){(char *)spec, PLAN_DATASET, 0, 0, true};
    if (dataset_probe(spec, &n, &info->grid, &info->channels) == 0) return 0;
    return blame(ps, section, key, ": ");
}

int plan_model(const stage_plan *p, const params *ps, const char *section, const char *key, plan_file *info)
{
    const char *path = params_string(ps, section, key);
    const plan_file *f = planned(p, path, PLAN_MODEL);
    if (f) {
        *info = *f;
        return 0;
    }
    train_state st;
    if (checkpoint_read_state(path, &st) != 0) return blame(ps, section, key, ": ");
    *info = (plan_file){(char *)path, PLAN_MODEL, st.model.grid, st.model.channels, true};
    history_free(&st.hist);
    return 0;
}

int plan_file_input(const stage_plan *p, const params *ps, const char *section, const char *key, plan_kind kind)
{
    const char *path = params_string(ps, section, key);
    if (planned(p, path, kind) || access(path, R_OK) == 0) return 0;
    return error_set("%s: [%s] %s = %s: no such file, and no earlier stage of the campaign writes it",
                     params_origin(ps, section, key), section, key, path);
}

int plan_output(const params *ps, const char *section, const char *key)
{
    if (path_check_parent(params_string(ps, section, key)) == 0) return 0;
    return blame(ps, section, key, " = ");
}

int plan_output_dir(const params *ps, const char *section, const char *key)
{
    const char *dir = params_string(ps, section, key);
    size_t n = strlen(dir) + 8;
    char *probe = xmalloc(n);
    snprintf(probe, n, "%s/x", dir);
    int rc = path_check_parent(probe);
    free(probe);
    return rc == 0 ? 0 : blame(ps, section, key, ": ");
}

int plan_lamda(const params *ps, const char *section)
{
    lamda_data lamda;
    rt_line line;
    if (rt_line_load(params_string(ps, section, "lamda_file"), (int)params_int(ps, section, "transition"),
                     params_real(ps, section, "molar_mass"), &lamda, &line) != 0)
        return blame(ps, section, params_is_set(ps, section, "transition") ? "transition" : "lamda_file", ": ");
    rt_line_free(&line);
    lamda_free(&lamda);
    return 0;
}

int plan_memory(double bytes, const char *what)
{
    double have = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    if (have <= 0 || bytes <= have) return 0;
    return error_set("%s needs %.3g GB of memory on one rank, more than this node's %.3g GB", what, bytes / 1e9,
                     have / 1e9);
}
