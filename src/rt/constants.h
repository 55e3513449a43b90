/**
 * @file constants.h
 * @brief SI constants of the line solver, the values astropy 5 returns (CODATA 2018), as Pomme
 * uses them (spec rt-solver.md 1). CODATA 2014 values change images by ~1e-7..1e-6 relative.
 */
#ifndef SYNOBS_RT_CONSTANTS_H
#define SYNOBS_RT_CONSTANTS_H

#define RT_C 299792458.0           /**< speed of light [m/s] */
#define RT_H 6.62607015e-34        /**< Planck constant [J s] */
#define RT_KB 1.380649e-23         /**< Boltzmann constant [J/K] */
#define RT_AMU 1.66053906660e-27   /**< atomic mass unit [kg] */
#define RT_T_CMB 2.725             /**< pomme.utils.T_CMB, not 2.72548 [K] */
#define RT_PI 3.14159265358979323846
#define RT_SQRT_PI 1.7724538509055160273

#endif
