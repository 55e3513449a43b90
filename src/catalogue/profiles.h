/**
 * @file profiles.h
 * @brief The radial profiles of a snapshot's metadata (analogues.md 2.1, catalogue.md 2): on
 * logarithmic shells about a star, the mass-weighted specific angular momentum of the gas
 * (Lprof, a 3-vector) and its mass-weighted radial velocity (vprof), both relative to the star.
 */
#ifndef SYNOBS_CATALOGUE_PROFILES_H
#define SYNOBS_CATALOGUE_PROFILES_H

#include "catalogue/binary.h"

/** Shells of the catalogue: 50, logarithmic, from 2 pixels to 500 AU (analogues.md 2.1). */
enum { PROFILE_NSHELL = 50 };

/** The nshell + 1 edges [m] of nshell logarithmic shells from lo to hi. */
void profile_shell_edges(double lo, double hi, int nshell, double *edges);

/**
 * @brief Mass-weighted profiles about the point c moving at velocity vc (both barycentric, SI), on
 * the shells edges[0..nshell]: L (nshell x 3) the specific angular momentum (x - c) x (v - vc)
 * [m^2/s], vr (nshell) the radial velocity (v - vc).(x - c)/|x - c| [m/s]; NaN where a shell holds
 * no gas. `axis` (unit) is the polar axis of the angular quadrature, whose nodes gather near its
 * equator (a disk's plane: its normal as the axis).
 */
void profiles_about(const binary_params *p, const binary_state *s, const double c[3], const double vc[3],
                    const double axis[3], int nshell, const double *edges, double *L, double *vr);

/** The same about star i (0 or 1), its disk's normal as the axis. */
void binary_profiles(const binary_params *p, const binary_state *s, int i, int nshell, const double *edges, double *L,
                     double *vr);

#endif
