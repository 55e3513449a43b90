#include <string.h>

#include "stages/stage.h"

const stage *const stage_table[] = {&stage_generate, &stage_solve, &stage_synth, &stage_stats, &stage_train, &stage_evaluate, &stage_emulate, &stage_catalogue, &stage_observe, &stage_features, &stage_match, &stage_metric, &stage_campaign, &stage_verify_golden, NULL};

const stage *stage_find(const char *name)
{
    for (const stage *const *s = stage_table; *s; s++)
        if (strcmp((*s)->name, name) == 0) return *s;
    return NULL;
}

const char *const *stage_all_sections(void)
{
    static const char *sections[16];
    int n = 0;
    for (const stage *const *s = stage_table; *s && n < 15; s++) sections[n++] = (*s)->sections[0];
    sections[n] = NULL;
    return sections;
}

const param_decl *const *stage_all_params(void)
{
    static const param_decl *tables[16];
    int n = 0;
    for (const stage *const *s = stage_table; *s && n < 15; s++) tables[n++] = (*s)->params;
    tables[n] = NULL;
    return tables;
}
