/**
 * @file beam.h
 * @brief An elliptical Gaussian beam: images in Jy per pixel convolved into Jy per beam.
 */
#ifndef SYNOBS_CATALOGUE_BEAM_H
#define SYNOBS_CATALOGUE_BEAM_H

typedef struct {
    double fwhm_major, fwhm_minor; /**< in pixels */
    double pa;                     /**< position angle of the major axis, from north (up) towards east (left) [rad] */
} beam;

/** Beam solid angle over the pixel's: pi / (4 ln 2) FWHM_maj FWHM_min (pixels^2). */
double beam_area_pixels(const beam *b);

/**
 * @brief In place: img (H x W, Jy per pixel, row 0 the top, column 0 the east) convolved with the
 * beam normalised to unit sum, then x the beam area in pixels: Jy per beam. Zero padding (no
 * wrap-around), FFTW in double, deterministic for a given size. fwhm_major <= 0 does nothing.
 */
void beam_convolve(const beam *b, int H, int W, double *img);
/** The same by direct summation (the reference the test checks the FFT path against). */
void beam_convolve_reference(const beam *b, int H, int W, double *img);

#endif
