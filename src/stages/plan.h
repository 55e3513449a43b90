/**
 * @file plan.h
 * @brief What a run will read and write, known before any stage works.
 *
 * Each stage declares a check: every test it can make from its parameters, the rank count and
 * its input files (their existence, and the shapes their headers give). `synobs STAGE` runs the
 * stage's check before the stage; `synobs campaign` runs the checks of all its stages, in order,
 * before the first one works, so that a mistake in the last stage costs nothing. An input that an
 * earlier stage of the campaign will write counts as present, with the shape that stage declares
 * (its check adds it to the plan). Checks run on rank 0 and set the error (error_set) naming the
 * key and, where the parameter file gave it, its file:line.
 */
#ifndef SYNOBS_PLAN_H
#define SYNOBS_PLAN_H

#include <stdbool.h>

#include "core/params.h"

typedef enum { PLAN_DATASET, PLAN_STATS, PLAN_MODEL, PLAN_OTHER } plan_kind;

/** A file a stage reads or writes, with what is known of its shape (0: unknown). */
typedef struct {
    char *path;
    plan_kind kind;
    int grid, channels; /**< datasets: the cubes' grid and the images' channels; models: those they were trained on */
    bool has_split;     /**< datasets: a per-sample split field (generate's); unknown for existing files: true */
} plan_file;

typedef struct {
    plan_file *files; /**< written by the stages checked so far, in order */
    int n;
} stage_plan;

/** Record a file that the stage being checked will write. */
void plan_add(stage_plan *p, const char *path, plan_kind kind, int grid, int channels, bool has_split);
void plan_free(stage_plan *p);

/**
 * @brief A dataset input (a file, glob, list or master): one an earlier stage will write, or one
 * whose files exist and hold a dataset now. 0 with *info filled (info->path is not owned), or -1
 * with the error naming `where` (the key's origin) and `key`.
 */
int plan_dataset(const stage_plan *p, const params *ps, const char *section, const char *key, plan_file *info);
/** A model input (a checkpoint or model.h5): written by an earlier stage, or readable now, with its grid and channels. */
int plan_model(const stage_plan *p, const params *ps, const char *section, const char *key, plan_file *info);
/** Any other input file: written by an earlier stage (of that kind), or readable now. */
int plan_file_input(const stage_plan *p, const params *ps, const char *section, const char *key, plan_kind kind);
/** An output file: its directory exists and is writable, or can be made. */
int plan_output(const params *ps, const char *section, const char *key);
/** An output directory: writable, or can be made. */
int plan_output_dir(const params *ps, const char *section, const char *key);
/** The LAMDA file of [section] (keys lamda_file, transition, molar_mass) loads and has the transition. */
int plan_lamda(const params *ps, const char *section);
/**
 * @brief Whether `bytes` of memory for one rank can exist at all: no more than this node's
 * physical memory. -1 with an error that starts with `what` ("origin: [section] key = value",
 * the keys that set the size) otherwise.
 */
int plan_memory(double bytes, const char *what);

#endif
