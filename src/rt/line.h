/**
 * @file line.h
 * @brief One spectral line in LTE: populations, frequency-integrated emissivity and opacity,
 * source function and Doppler width per grid point (spec rt-solver.md 2.3-5), and the Planck
 * function of the boundary (10). Everything in double, in the order Pomme evaluates it.
 */
#ifndef SYNOBS_RT_LINE_H
#define SYNOBS_RT_LINE_H

#include "io/lamda.h"
#include "rt/partition.h"

typedef struct {
    int nlev;
    const double *energy, *weight; /**< level table (borrowed from the lamda_data) */
    int up, lo;                    /**< 0-based levels of the transition */
    double nu0;                    /**< catalogue frequency [Hz] */
    double A, Bul, Blu;            /**< Einstein coefficients (B per unit frequency) */
    double mass;                   /**< molecular mass [kg] = molar_mass * u */
    double h_nu_4pi;               /**< h nu0 / (4 pi) */
    rt_lnz_table lnz;              /**< ln Z(ln T) for the fast solver (RT_LNZ_T_LO..RT_LNZ_T_HI) */
} rt_line;

/* The partition table's range and nodes: 4096 nodes keep ln Z within 1e-12 of the direct sum from
 * 2.7 K (the CMB) to 1e5 K for CO (tests/test_rt_solver.c); it costs ~2 ms once per line. */
#define RT_LNZ_T_LO 2.7
#define RT_LNZ_T_HI 1e5
#define RT_LNZ_NODES 4096

/**
 * @brief The line of 0-based radiative transition `t` of `d` for molecules of `molar_mass` [u].
 * @return 0, or -1 with error_message() if t is out of range.
 */
int rt_line_init(rt_line *line, const lamda_data *d, int t, double molar_mass);
/** Free what rt_line_init allocated (the partition table); the lamda_data stays the caller's. */
void rt_line_free(rt_line *line);

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
/** rt_line_point with Z from the line's ln Z table (partition.h, 1e-13) where T lies in its range,
 * the level sum elsewhere: two exponentials instead of one per level (41 for CO). */
void rt_line_point_table(const rt_line *line, double T, double v_turb, double *eta, double *chi, double *S, double *width);

double rt_planck(double T, double nu);

#endif
