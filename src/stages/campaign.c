/**
 * @file campaign.c
 * @brief `synobs campaign [PARAMS]`: run several stages in order from one parameter file. With no
 * file it runs the embedded demo campaign (inputs/demo.par).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/log.h"
#include "mpi/collective.h"
#include "stages/stage.h"

static const param_decl campaign_params[] = {
    {"campaign", "stages", PARAM_STRING, NULL, 0, 0, NULL, "",
     "stages to run in order, comma-separated (each reads its own section of this file)"},
    PARAM_END};

static const char *const campaign_sections[] = {"campaign", NULL};

/* Split the list; every name must be a stage and every stage's required keys present, before any runs. */
static int parse_list(const params *ps, const stage **list, int max, int *n)
{
    char *copy = xstrdup(params_string(ps, "campaign", "stages")), *save = NULL;
    *n = 0;
    int rc = 0;
    for (char *t = strtok_r(copy, ", ", &save); t && rc == 0; t = strtok_r(NULL, ", ", &save)) {
        const stage *s = stage_find(t);
        const char *at = params_origin(ps, "campaign", "stages");
        if (!s || s == &stage_campaign) rc = error_set("%s: [campaign] stages: '%s' is not a stage of a campaign", at, t);
        else if (*n == max) rc = error_set("%s: [campaign] stages: more than %d stages", at, max);
        else {
            char who[64];
            snprintf(who, sizeof who, "stage %s of the campaign", s->name);
            rc = params_check_required(ps, s->sections, who);
            list[(*n)++] = s;
        }
    }
    free(copy);
    if (rc == 0 && *n == 0) rc = error_set("%s: [campaign] stages names no stage", params_origin(ps, "campaign", "stages"));
    return rc;
}

/* Every stage's checks, in order, before the first works: each sees what the earlier ones will write. */
static int campaign_check(const params *ps, const char *params_text, stage_plan *plan)
{
    const stage *list[16];
    int n;
    if (parse_list(ps, list, 16, &n) != 0) return -1;
    for (int i = 0; i < n; i++)
        if (list[i]->check && list[i]->check(ps, params_text, plan) != 0) return -1;
    return 0;
}

static int campaign_run(const params *ps, const char *params_text)
{
    const stage *list[16];
    int n;
    collective_fail_if(parse_list(ps, list, 16, &n) != 0);
    for (int i = 0; i < n; i++) {
        message0("campaign: stage %d/%d: %s", i + 1, n, list[i]->name);
        int rc = list[i]->run(ps, params_text);
        if (rc != 0) return rc;
    }
    message0("campaign: done (%d stages)", n);
    return 0;
}

const stage stage_campaign = {"campaign", "run the stages listed in [campaign] stages, in order (no file: the demo)",
                              campaign_params, campaign_sections, campaign_run, NULL, campaign_check};
