#include <string.h>

#include "stages/stage.h"

const stage *const stage_table[] = {&stage_synth, &stage_stats, &stage_campaign, NULL};

const stage *stage_find(const char *name)
{
    for (const stage *const *s = stage_table; *s; s++)
        if (strcmp((*s)->name, name) == 0) return *s;
    return NULL;
}

const param_decl *const *stage_all_params(void)
{
    static const param_decl *tables[16];
    int n = 0;
    for (const stage *const *s = stage_table; *s && n < 15; s++) tables[n++] = (*s)->params;
    tables[n] = NULL;
    return tables;
}
