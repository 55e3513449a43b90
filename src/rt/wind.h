/**
 * @file wind.h
 * @brief Parameterised 3D models of an AGB wind perturbed by a binary companion, on a G^3 grid
 * in the orbital frame (orbital plane = xy, star at the centre). See wind.c for the physics.
 */
#ifndef SYNOBS_RT_WIND_H
#define SYNOBS_RT_WIND_H

#include "core/rng.h"

/** One model's physical parameters (SI unless noted). Order = the dataset's model_parameters. */
typedef struct {
    double mdot;            /**< mass-loss rate [Msun/yr] */
    double v_inf;           /**< terminal velocity [m/s] */
    double beta;            /**< beta-law exponent */
    double period;          /**< orbital period [yr] */
    double separation;      /**< semi-major axis [AU] */
    double eccentricity;
    double spiral_contrast; /**< peak overdensity of the spiral arm (factor 1 + contrast) */
    double spiral_width;    /**< arm width, fraction of the arm spacing v_inf P */
    double ede_contrast;    /**< equatorial density enhancement (0: none) */
    double ede_height;      /**< its opening, |z|/r scale */
    double t_star;          /**< temperature at the stellar radius [K] */
    double t_slope;         /**< T = t_star (R_star/r)^t_slope */
    double x_co;            /**< CO abundance n_CO / n_H2 */
    double v_turb;          /**< microturbulent width [m/s] */
    double phase;           /**< orbital phase now (mean anomaly, rad) */
} wind_params;

enum { WIND_NPARAM = 15 };
/** Names and units of the wind_params fields, in order (for the dataset's attributes). */
extern const char *const wind_param_names[WIND_NPARAM];

/** Ranges [lo, hi] per field; fields marked log in wind.c are drawn log-uniformly. */
typedef struct {
    double lo[WIND_NPARAM], hi[WIND_NPARAM];
    double ede_probability; /**< chance that a model has an EDE at all */
} wind_ranges;

/** Draw one model's parameters from the ranges with the model's own stream. */
void wind_draw(const wind_ranges *rg, rng *r, wind_params *p);

/**
 * @brief Fill the model on a G^3 grid of cell pitch `pitch` [m] centred on the star:
 * velocity components vx, vy, vz [m/s], T [K] (floor t_floor), n_CO [m^-3]; arrays [x][y][z].
 */
void wind_fill(const wind_params *p, int G, double pitch, double t_floor, double *vx, double *vy, double *vz,
               double *T, double *n);

#endif
