/**
 * @file catalogue_external.h
 * @brief External layout-A catalogues converted by `synobs catalogue` (external = GLOB).
 */
#ifndef SYNOBS_CATALOGUE_EXTERNAL_H
#define SYNOBS_CATALOGUE_EXTERNAL_H

#include "core/params.h"
#include "io/layout_a.h"

/** The files of [catalogue] external, sorted: 0, or -1 with the error naming the key when none match. */
int external_files(const params *ps, char ***files, int *n);
/** The projections' azimuths of [catalogue] external_projection_phi_deg [rad]. */
int external_phi(const params *ps, double phi[LAYOUT_A_NPROJ]);
/** Collective: convert the files into the catalogue file `out` (sharded, VDS master). */
int catalogue_convert_external(const params *ps, const char *params_text, const char *out);

#endif
