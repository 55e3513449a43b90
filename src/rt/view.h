/**
 * @file view.h
 * @brief Viewing a model from any direction, as COEmuNet's data generation did: trim to the
 * sphere inscribed in the box (common to every direction), rotate positions and velocity
 * vectors, and resample trilinearly onto the grid; v_z becomes the velocity projected on the new
 * line of sight (the last axis, observer at z-index 0).
 */
#ifndef SYNOBS_RT_VIEW_H
#define SYNOBS_RT_VIEW_H

#include "core/rng.h"

/** A rotation uniform on SO(3) (unit quaternion from 4 normals): its line of sight is uniform on
 * the sphere. R is row-major and maps model-frame vectors to the observer frame. */
void view_random_rotation(rng *r, double R[9]);
/** The identity (face-on: the observer looks along the orbital axis). */
void view_identity(double R[9]);
/** Rotation by `degrees` about the z axis (tests). */
void view_rotation_z(double degrees, double R[9]);

/**
 * @brief Resample the model (vx, vy, vz, T, n on [x][y][z], Gs^3) seen through R onto the central
 * G^3 cells of the same pitch: out cubes [x][y][z] of v_z (projected), T and n_CO. Cells outside
 * the sphere inscribed in the source get v_z = 0, T = t_out, n = n_out. With Gs = 2G (as
 * COEmuNet's crop [32:96] of a 128^3 ball) the view lies inside that sphere for every rotation.
 */
void view_resample(const double R[9], int Gs, const double *vx, const double *vy, const double *vz, const double *T,
                   const double *n, int G, double t_out, double n_out, double *out_vz, double *out_T, double *out_n);

/** The observer's line of sight (+z of the observer frame) in the model frame: row 3 of R. */
void view_direction(const double R[9], double d[3]);

#endif
