/**
 * @file render.h
 * @brief Images of a binary_state seen by one observer: the dust continuum (Jy per pixel) and
 * the LTE line cube with its moments, by rays through the analytic model.
 *
 * Each pixel's ray samples the model on the fly at adaptive steps (a fraction of the distance to
 * the nearest star or the barycentre, and of the local disk, ring and streamer thickness), and
 * is solved by the formal solution of `synobs solve` (rt_formal_solution; for lines the exact
 * erf optical depths of rt_line_dtau): the same numerics on a non-uniform ray. Pixels near a
 * star's image are split recursively (a quadtree) so that the cusp of the disk's emission is
 * integrated over the pixel, not sampled at its centre; other pixels are sampled at their centre
 * (or n x n points: `supersample`), which resolves structures wider than a pixel or two (streamers
 * are ~0.15 a wide: resolved at the default 2.5 AU pixels, aliased at 40 AU ones). Two paths: render_view (threads over
 * rows, the default steps; dust rays in packets of 8, render_packet.c) and render_view_reference
 * (one ray at a time, `step_scale` / 4 and two more quadtree levels), which checks it.
 */
#ifndef SYNOBS_CATALOGUE_RENDER_H
#define SYNOBS_CATALOGUE_RENDER_H

#include "catalogue/binary.h"
#include "catalogue/cone.h"
#include "rt/line.h"

typedef enum { RENDER_DUST, RENDER_LINE } render_mode;

typedef struct {
    render_mode mode;
    int height, width;
    double pixel;          /**< [m] */
    double centre[3];      /**< the model point at the image centre [m] */
    double distance;       /**< [m] */
    double step_scale;     /**< ray steps x this (1: the default; the convergence test halves it) */
    int max_depth;         /**< quadtree levels near a star (16: 1/65536 pixel) */
    double refine_margin;  /**< a cell is split while a star's image is within this many cell sizes (0: the default) */
    int supersample;       /**< n x n rays per pixel away from the stars (1: the pixel's centre) */
    int threads;           /**< <= 0: all cores */
    int scalar_rays;       /**< 1: one ray at a time even where packets of rays (render_packet.c) are available */
    /* dust */
    double freq, kappa0, nu_ref, beta, gas_to_dust;
    /* line */
    const rt_line *line;
    int nchan;
    double vrange;         /**< channels at -vrange .. +vrange [m/s] (radial velocity, receding > 0) */
    double abundance;      /**< n_mol / n_H2 */
    double freeze_out;     /**< abundance factor below freeze_T */
    double freeze_T;
    double v_turb;         /**< [m/s] */
    double mu_h2;          /**< mean mass per H2 [u] (2.8: H2 + He) */
} render_setup;

/** Dust: image (H x W) in Jy per pixel. Line: cube (H x W x nchan) in Jy per pixel. Row 0 = top. */
void render_view(const render_setup *rs, const binary_params *p, const binary_state *s, const cone_view *v, double *out);
void render_view_reference(const render_setup *rs, const binary_params *p, const binary_state *s, const cone_view *v,
                           double *out);

/** Channel velocity c (0-based) of the line setup [m/s]. */
double render_channel_velocity(const render_setup *rs, int c);

/**
 * @brief Moment 0 [Jy/pixel km/s] and moment 1 [km/s] of a cube (H x W x nchan); moment-1 pixels
 * whose moment 0 is below mask_sigma x the moment-0 noise (noise x dv x sqrt(nchan), noise per
 * channel in Jy/pixel) are NaN, as in observed maps. mom0 may be NULL.
 */
void render_moments(const render_setup *rs, const double *cube, double noise, double mask_sigma, double *mom0,
                    double *mom1);

#endif
