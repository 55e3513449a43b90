/**
 * @file layout_a.h
 * @brief Reader of one external "layout A" per-snapshot HDF5 file (spec analogues.md 2.4 A: the
 * public Maskinelaering/Siamese data_setup.py data): eight 2-D image datasets
 * `intensity_projection_1` ... `intensity_projection_8` and seven scalar datasets with no units.
 *
 * Plain local I/O: one rank calls it per file. Input problems are recorded with error_set (one line
 * naming the file and the dataset) and returned as -1.
 */
#ifndef SYNOBS_LAYOUT_A_H
#define SYNOBS_LAYOUT_A_H

enum { LAYOUT_A_NPROJ = 8, LAYOUT_A_NSCALAR = 7 };

/** Envelope_mass, accretion_rate, temperature, mass, disk_size, luminosity, age (the order of scalars[]). */
extern const char *const layout_a_scalar_names[LAYOUT_A_NSCALAR];

/**
 * @brief Shape of a file's projections, from `intensity_projection_1` (2-D, numeric).
 * @return 0 with *height (rows), *width (columns), or -1 with the error set
 * ("FILE: no dataset intensity_projection_1", "FILE: not an HDF5 file", ...).
 */
int layout_a_probe(const char *path, int *height, int *width);

/**
 * @brief Read all 8 projections and the scalars of one file.
 * @param images (LAYOUT_A_NPROJ, height, width) float32: projection k (1..8) at offset (k-1)*height*width,
 *        converted by H5Dread from the file's numeric type. Non-finite pixels are kept.
 * @param scalars in the order of layout_a_scalar_names; NaN where the dataset is absent.
 * @return 0, or -1 with one line naming the file and the dataset: "snap_0042.h5: intensity_projection_5
 * is missing", "snap_0042.h5: intensity_projection_3 has shape 800 x 799, not 800 x 800 (the shape of the
 * first file)", "snap_0042.h5: mass is not a scalar: it has 3 elements". A present scalar must be a
 * scalar or 1-element numeric dataset.
 */
int layout_a_read(const char *path, int height, int width, float *images, double scalars[LAYOUT_A_NSCALAR]);

#endif
