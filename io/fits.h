/**
 * @file fits.h
 * @brief Synthetic observations as FITS images (cfitsio): what `observe` writes and `match` reads.
 *
 * Our arrays are (H, W) float32, row 0 the TOP of the picture (north up) and column 0 its left
 * (east, since RA grows to the left). FITS stores the bottom row first (with CDELT2 > 0), so the
 * writer flips the rows and the reader flips them back. Both are plain local I/O: one rank calls them.
 */
#ifndef SYNOBS_FITS_H
#define SYNOBS_FITS_H

typedef struct {
    int height, width;          /* image rows, columns; row 0 is the TOP of the picture (north up) */
    double pixel_deg;           /* pixel size [deg]: CDELT1 = -pixel_deg (RA grows to the left/east), CDELT2 = +pixel_deg */
    double crval_ra, crval_dec; /* [deg] at the reference pixel CRPIX = centre of the image ((W+1)/2, (H+1)/2) */
    double crpix1, crpix2;      /* read only: the file's CRPIX (FITS 1-based, file axes; centre when absent);
                                 * the writer always puts CRPIX at the centre */
    double bmaj_deg, bmin_deg, bpa_deg; /* beam (0 = no beam: then BMAJ/BMIN/BPA are not written, and not required on reading) */
    double restfrq;             /* [Hz] RESTFRQ */
    double distance_pc;         /* DISTANCE keyword [pc] */
    char object[72];            /* OBJECT */
    char bunit[72];             /* BUNIT, e.g. "Jy/beam", "Jy/pixel", "km/s" */
    double noise;               /* NOISE keyword [BUNIT]: the Gaussian noise added (0 = none) */
    double mask_sigma;          /* MASKSIG: pixels below mask_sigma*noise blanked (NaN); 0 = none */
} fits_image_header;

typedef struct {
    char name[32];
    double value;
    char unit[24];
} fits_truth; /* one true metadata value */

/**
 * @brief Write atomically (PATH.partial, renamed when complete; registered for cleanup).
 *
 * Primary HDU: the image (float32, BITPIX -32, NAXIS 2, stored bottom row first as FITS requires,
 * i.e. flipped vertically from our top-row-first array), with the header above plus CTYPE1 'RA---SIN',
 * CTYPE2 'DEC--SIN', CUNIT 'deg', EQUINOX 2000, RADESYS 'ICRS', ORIGIN 'synobs', DATE; optional image
 * extension EXTNAME 'TRUTH_IMAGE' (the noiseless image, same header geometry; NULL omits it); optional
 * binary-table extension EXTNAME 'TRUTH' with one row and one double column per fits_truth entry
 * (TTYPEn = name, TUNITn = unit; omitted when ntruth is 0); `history` (may be NULL) goes into HISTORY
 * cards, one or more per line of it (cfitsio wraps long lines).
 * @param image (H, W) top row first; NaN pixels are written as NaN (blanked).
 * @return 0, or -1 with error_set("PATH: cannot write it: <cfitsio's words>") and no file left behind.
 */
int fits_write_image(const char *path, const fits_image_header *h, const float *image, const float *truth_image,
                     const fits_truth *truth, int ntruth, const char *history);

/**
 * @brief Read the first HDU holding a 2-D image (or plane 0 of a 3-D/4-D cube), top row first.
 *
 * Required keys: NAXIS1, NAXIS2, CDELT1, CDELT2, BUNIT. CRVAL/CRPIX default to 0/centre when
 * absent; BMAJ/BMIN/BPA, RESTFRQ (or RESTFREQ), DISTANCE, OBJECT, NOISE, MASKSIG are optional,
 * 0/"" when absent. |CDELT1| must equal |CDELT2| to 1e-6 relative (square pixels), and CUNIT1/2,
 * where given, be 'deg'. The array is oriented north up,
 * east left whatever the signs of CDELT1/CDELT2 (the usual CDELT1 < 0 < CDELT2 means a vertical flip).
 * Blanked (NaN, or an integer image's BLANK) pixels are NaN. A file with no image HDU, an empty image,
 * a missing required key, or an image in which every pixel is NaN or infinite: -1 with error_set
 * naming the file and the problem in one line, e.g. "obs.fits: HDU 1: missing keyword CDELT1".
 * @param image receives an xmalloc'd (H, W) array (caller frees).
 * @param truth, ntruth may be NULL; otherwise the TRUTH table, if present, is read into an
 *        xmalloc'd array (caller frees), else *truth = NULL and *ntruth = 0.
 */
int fits_read_image(const char *path, fits_image_header *h, float **image, fits_truth **truth, int *ntruth);

/** Angular size [deg] of pixel_au at distance_pc: angle[arcsec] = size[AU] / distance[pc]. */
double fits_pixel_deg(double pixel_au, double distance_pc);

#endif
