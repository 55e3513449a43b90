/**
 * @file snapshot.h
 * @brief What `catalogue` and `observe` share: the [catalogue] parameters turned into systems,
 * renderer settings and a beam, and one snapshot made into its metadata and its observers' images.
 */
#ifndef SYNOBS_CATALOGUE_SNAPSHOT_H
#define SYNOBS_CATALOGUE_SNAPSHOT_H

#include <stdint.h>

#include "catalogue/beam.h"
#include "catalogue/binary.h"
#include "catalogue/cone.h"
#include "catalogue/render.h"
#include "catalogue/profiles.h"
#include "core/params.h"
#include "io/lamda.h"

/** Per-snapshot scalar metadata, in this order (names and units: cat_meta_names, cat_meta_units). */
enum {
    META_T1, META_T2, META_M1, META_M2, META_MTOT, META_MDOT1, META_MDOT2, META_L1, META_L2, META_DSIZE1, META_DSIZE2,
    META_MD1, META_MD2, META_MGAS100, META_SEP, META_PHASE, CAT_NMETA
};
extern const char *const cat_meta_names[CAT_NMETA];
extern const char *const cat_meta_units[CAT_NMETA];
extern const char *const cat_meta_descriptions[CAT_NMETA];

typedef struct {
    double meta[CAT_NMETA];
    double J[2][3], r_au[2][3];
    double Lprof[2][PROFILE_NSHELL][3]; /**< about each star [AU km/s] (profiles.h; with images only) */
    double vprof[2][PROFILE_NSHELL];    /**< [km/s] */
    cone_view view[16];
    double star_px[16][2][2]; /**< (observer, star, row/col) */
} cat_snapshot;

typedef struct {
    const char *observable;  /**< "continuum" or "moment1" */
    render_setup rs;         /**< the renderer's settings (centre set per snapshot) */
    int observers, centre;   /**< centre: 0 midpoint, 1 primary, 2 barycentre */
    double proj_sep;         /**< [m] */
    beam beam;               /**< in pixels; fwhm_major 0: none */
    double line_noise, mask_sigma;
    double shell_edges[PROFILE_NSHELL + 1]; /**< the profiles' shells [m]: 2 pixels (at most 250 AU) to 500 AU */
    double cadence;          /**< [s] */
    uint64_t seed;
    int nsys;
    char **sys_token;        /**< "B1", "random" per system */
    binary_params *sys;
    int64_t *first, nsnap;   /**< global index of each system's first snapshot; their total */
    lamda_data lamda;
    rt_line line;
    int have_line;
} cat_config;

/** Parameter declarations of [catalogue] (stages/catalogue.c owns the stage). */
extern const param_decl catalogue_params[];

/**
 * @brief The configuration of [catalogue] for one observable: the systems (drawn and initialised),
 * the renderer, the beam, the line. 0, or -1 with the error naming the key and its origin.
 */
int cat_config_init(cat_config *c, const params *ps, const char *observable);
void cat_config_free(cat_config *c);
/** The system and time of global snapshot g. */
void cat_locate(const cat_config *c, int64_t g, int *sys, double *t);
/** Build system i's accretion tables if this rank has not yet (every snapshot of it needs them). */
void cat_system_ready(const cat_config *c, int i);
/** One system from a [choice] token (a preset name, or "random" with its stream) with the config's defaults. */
int cat_system_make(const params *ps, const char *token, uint64_t seed, uint64_t stream, binary_params *p);

/** Metadata and observers of system `sys` at t; images (observers x H x W, float) and the radial
 * profiles if images is non-NULL. */
void cat_snapshot_make(const cat_config *c, const binary_params *p, double t, cat_snapshot *m, float *images);
/** Metadata and observers at t, and the image of observer `observer` (0-based) alone. */
void cat_snapshot_image(const cat_config *c, const binary_params *p, double t, int observer, cat_snapshot *m, float *image);
/** Units of the images of this config ("Jy/pixel", "Jy/beam", "km/s"). */
const char *cat_image_units(const cat_config *c);

#endif
