/**
 * @file line.h
 * @brief One spectral line in LTE: populations, frequency-integrated emissivity and opacity,
 * source function and Doppler width per grid point (spec rt-solver.md 2.3-5), and the Planck
 * function of the boundary (10). Everything in double, in the order Pomme evaluates it.
 */
#ifndef SYNOBS_RT_LINE_H
#define SYNOBS_RT_LINE_H

#include "io/lamda.h"

typedef struct {
    int nlev;
    const double *energy, *weight; /**< level table (borrowed from the lamda_data) */
    int up, lo;                    /**< 0-based levels of the transition */
    double nu0;                    /**< catalogue frequency [Hz] */
    double A, Bul, Blu;            /**< Einstein coefficients (B per unit frequency) */
    double mass;                   /**< molecular mass [kg] = molar_mass * u */
    double h_nu_4pi;               /**< h nu0 / (4 pi) */
} rt_line;

/**
 * @brief The line of 0-based radiative transition `t` of `d` for molecules of `molar_mass` [u].
 * @return 0, or -1 with error_message() if t is out of range.
 */
int rt_line_init(rt_line *line, const lamda_data *d, int t, double molar_mass);

/**
 * @brief Read a LAMDA file and take its radiative transition `transition` (1-based, as numbered in
 * the file: 2 is CO J=2-1). -1 with error_message() naming the file on failure.
 */
int rt_line_load(const char *lamda_path, int transition, double molar_mass, lamda_data *d, rt_line *line);

/** LTE fractional populations of the two levels (Z summed over every level in file order). */
void rt_line_pops(const rt_line *line, double T, double *p_up, double *p_lo, double *Z);

/**
 * @brief Per-point quantities at temperature T [K] (> 0) and microturbulence v_turb [m/s]:
 * eta_ij [W sr^-1] and chi_ij [m^2 Hz] per molecule, S = eta/chi, the 1/e Doppler half-width [Hz].
 */
void rt_line_point(const rt_line *line, double T, double v_turb, double *eta, double *chi, double *S, double *width);

/** B_nu(T) = 2 h nu^3 / c^2 / expm1(h nu / k T) [W m^-2 Hz^-1 sr^-1]. */
double rt_planck(double T, double nu);

#endif
