/**
 * @file line.c
 * @brief LTE line quantities (spec rt-solver.md 2.3-5, 10), plain scalar code: the reference
 * column solver uses them; the fast one (solver_fast.c) vectorises the same expressions.
 */
#include "rt/line.h"

#include <math.h>
#include <stdio.h>

#include "core/check.h"
#include "rt/constants.h"

int rt_line_init(rt_line *line, const lamda_data *d, int t, double molar_mass)
{
    if (t < 0 || t >= d->nrad)
        return error_set("transition %d is not in the LAMDA file (it has transitions 1..%d)", t + 1, d->nrad);
    line->nlev = d->nlev;
    line->energy = d->energy;
    line->weight = d->weight;
    line->up = d->upper[t];
    line->lo = d->lower[t];
    line->nu0 = d->frequency[t];
    line->A = d->einstein_a[t];
    line->Bul = line->A * RT_C * RT_C / (2.0 * RT_H * line->nu0 * line->nu0 * line->nu0);
    line->Blu = line->weight[line->up] / line->weight[line->lo] * line->Bul;
    line->mass = molar_mass * RT_AMU;
    line->h_nu_4pi = RT_H * line->nu0 / (4.0 * RT_PI);
    rt_lnz_table_init(&line->lnz, line->nlev, line->energy, line->weight, RT_LNZ_T_LO, RT_LNZ_T_HI, RT_LNZ_NODES);
    return 0;
}

void rt_line_free(rt_line *line) { rt_lnz_table_free(&line->lnz); }

void rt_line_pops(const rt_line *line, double T, double *p_up, double *p_lo, double *Z)
{
    /* exp(-E beta) with beta = 1/kT formed once: the fast solver does the same, vectorised */
    double beta = 1.0 / (RT_KB * T), z = 0.0;
    for (int l = 0; l < line->nlev; l++) z += line->weight[l] * exp(-line->energy[l] * beta);
    *p_up = line->weight[line->up] * exp(-line->energy[line->up] * beta) / z;
    *p_lo = line->weight[line->lo] * exp(-line->energy[line->lo] * beta) / z;
    *Z = z;
}

void rt_line_point(const rt_line *line, double T, double v_turb, double *eta, double *chi, double *S, double *width)
{
    double pu, pl, z;
    rt_line_pops(line, T, &pu, &pl, &z);
    *eta = line->h_nu_4pi * line->A * pu;
    *chi = line->h_nu_4pi * (line->Blu * pl - line->Bul * pu);
    *S = *eta / *chi;
    *width = line->nu0 / RT_C * sqrt(2.0 * RT_KB * T / line->mass + v_turb * v_turb);
}

void rt_line_point_table(const rt_line *line, double T, double v_turb, double *eta, double *chi, double *S, double *width)
{
    if (!line->lnz.f || T < line->lnz.T_lo || T > line->lnz.T_hi) {
        rt_line_point(line, T, v_turb, eta, chi, S, width);
        return;
    }
    double beta = 1.0 / (RT_KB * T), lnz = rt_lnz_table_eval(&line->lnz, log(T));
    double pu = line->weight[line->up] * exp(-line->energy[line->up] * beta - lnz);
    double pl = line->weight[line->lo] * exp(-line->energy[line->lo] * beta - lnz);
    *eta = line->h_nu_4pi * line->A * pu;
    *chi = line->h_nu_4pi * (line->Blu * pl - line->Bul * pu);
    *S = *eta / *chi;
    *width = line->nu0 / RT_C * sqrt(2.0 * RT_KB * T / line->mass + v_turb * v_turb);
}

double rt_planck(double T, double nu)
{
    return 2.0 * RT_H / (RT_C * RT_C) * nu * nu * nu / expm1(RT_H * nu / (RT_KB * T));
}

int rt_line_load(const char *lamda_path, int transition, double molar_mass, lamda_data *d, rt_line *line)
{
    if (lamda_read(lamda_path, d)) return -1;
    if (rt_line_init(line, d, transition - 1, molar_mass)) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", error_message());
        error_clear();
        lamda_free(d);
        return error_set("%s: %s", lamda_path, msg);
    }
    return 0;
}
