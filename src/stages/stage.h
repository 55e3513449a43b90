/**
 * @file stage.h
 * @brief A stage is a name, its parameter declarations, the sections it reads, and a run
 * function. Stages wire modules together and own no numerics.
 */
#ifndef SYNOBS_STAGE_H
#define SYNOBS_STAGE_H

#include "core/params.h"
#include "stages/plan.h"

typedef struct {
    const char *name;
    const char *summary;
    const param_decl *params;       /**< declarations of the sections this stage owns */
    const char *const *sections;    /**< sections it reads (NULL-terminated) */
    /** Runs on every rank after the parameters are checked; returns the exit status. */
    int (*run)(const params *ps, const char *params_text);
    /** For stages run on a file rather than a parameter file (`synobs verify-golden FILE`): the
     * "section.key" that receives the command line's FILE; NULL for parameter-file stages. */
    const char *file_key;
    /**
     * Rank 0, before any stage of the run works (stages/plan.h): every check that the parameters,
     * the rank count and the input files allow; adds what the stage will write to the plan.
     * 0, or -1 with the error set. NULL: nothing to check beyond the parameters' own ranges.
     */
    int (*check)(const params *ps, const char *params_text, stage_plan *plan);
} stage;

/** NULL-terminated list of every stage. */
extern const stage *const stage_table[];
const stage *stage_find(const char *name);
/** NULL-terminated list of every stage's declaration table (all sections are known to the parser). */
const param_decl *const *stage_all_params(void);
/** NULL-terminated list of every stage's own section (what a campaign file may hold). */
const char *const *stage_all_sections(void);

extern const stage stage_stats, stage_synth, stage_solve, stage_generate, stage_campaign, stage_verify_golden,
    stage_train, stage_evaluate, stage_emulate, stage_catalogue, stage_observe, stage_features, stage_match, stage_metric;

#endif
