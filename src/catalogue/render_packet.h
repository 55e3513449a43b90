/**
 * @file render_packet.h
 * @brief The dust continuum of a packet of rays at once, one per vector lane (render_packet.c),
 * and the ray-step rules it shares with the scalar rays of render.c.
 */
#ifndef SYNOBS_CATALOGUE_RENDER_PACKET_H
#define SYNOBS_CATALOGUE_RENDER_PACKET_H

#include <math.h>

#include "catalogue/render.h"

/* Steps are this fraction of the distance to the nearest star or the barycentre (the r^-1/2
 * temperature and r^-3/2 envelope change by ~4 % per step), and a tenth of the local
 * Gaussian thickness of a disk, the ring or a streamer near their midplanes. */
#define STEP_FRACTION 0.05
#define STEP_THICKNESS 0.1
#ifndef STEP_RING
#define STEP_RING 0.1
#endif
#define STEP_MIN (1e-5 * BIN_AU)
#define LINE_STEP_FACTOR 0.25

/** max(|n_z|, |n_in|) of a ray of direction n (unit) against the orbital plane: the ring's and
 * the streamers' steps are STEP_RING x max(0.5 w, |Z|) over it (render.c's step_at). */
static inline double streamer_step_tilt(const binary_params *p, const double *n)
{
    double nz = fabs(n[0] * p->n_orb[0] + n[1] * p->n_orb[1] + n[2] * p->n_orb[2]), nin = sqrt(fmax(1.0 - nz * nz, 0.0));
    return nz > nin ? nz : nin;
}

/** Rays per packet: the vector width (8 with AVX-512, 4 with AVX2), 0 where there is no vector
 * unit (render.c then takes one ray at a time). */
int render_packet_width(void);

/**
 * @brief Dust intensity [W m^-2 Hz^-1 sr^-1] of nrays (<= render_packet_width()) rays through the
 * image-plane points P along the view's n, with the steps of render.c at `scale`: each lane takes
 * the scalar ray's steps and agrees with its intensity to the rounding of exp (test_catalogue_model).
 */
void render_dust_packet(const render_setup *rs, const binary_params *p, const binary_state *s, const cone_view *v,
                        const double (*P)[3], int nrays, double scale, double *I);

#endif
