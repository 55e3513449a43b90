#include "io/fits.h"

#include <errno.h>
#include <fcntl.h>
#include <fitsio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/check.h"

double fits_pixel_deg(double pixel_au, double distance_pc) { return pixel_au / distance_pc / 3600.0; }

/* cfitsio's short words for a status. Its message stack is cleared too: it keeps every failure's
 * lines until then, and one line of ours says all a user needs. Valid until the next call. */
static const char *fits_words(int status)
{
    static char text[FLEN_STATUS];
    fits_get_errstatus(status, text);
    fits_clear_errmsg();
    return text;
}

/* Copy into a fixed field, cut to fit: the fields' sizes are the API's. */
static void copy_str(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* ---- writing ------------------------------------------------------------------------------ */

/* 17 significant digits: every double reads back exactly. */
#define EXACT (-17)

/* What the image and the noiseless TRUTH_IMAGE share: unit, sky geometry, beam, source. */
static void write_common(fitsfile *f, const fits_image_header *h, int *st)
{
    fits_write_key_longstr(f, "BUNIT", h->bunit, "unit of the pixel values", st);
    fits_write_key_str(f, "CTYPE1", "RA---SIN", "orthographic projection (interferometer images)", st);
    fits_write_key_dbl(f, "CRVAL1", h->crval_ra, EXACT, "[deg] RA at the reference pixel", st);
    fits_write_key_dbl(f, "CDELT1", -h->pixel_deg, EXACT, "[deg] RA grows to the left (east)", st);
    fits_write_key_dbl(f, "CRPIX1", (h->width + 1) / 2.0, EXACT, "reference pixel: the image centre", st);
    fits_write_key_str(f, "CUNIT1", "deg", NULL, st);
    fits_write_key_str(f, "CTYPE2", "DEC--SIN", "orthographic projection", st);
    fits_write_key_dbl(f, "CRVAL2", h->crval_dec, EXACT, "[deg] Dec at the reference pixel", st);
    fits_write_key_dbl(f, "CDELT2", h->pixel_deg, EXACT, "[deg] north up", st);
    fits_write_key_dbl(f, "CRPIX2", (h->height + 1) / 2.0, EXACT, "reference pixel: the image centre", st);
    fits_write_key_str(f, "CUNIT2", "deg", NULL, st);
    fits_write_key_dbl(f, "EQUINOX", 2000.0, EXACT, "[yr]", st);
    fits_write_key_str(f, "RADESYS", "ICRS", NULL, st);
    if (h->bmaj_deg > 0) {
        fits_write_key_dbl(f, "BMAJ", h->bmaj_deg, EXACT, "[deg] beam major axis (FWHM)", st);
        fits_write_key_dbl(f, "BMIN", h->bmin_deg, EXACT, "[deg] beam minor axis (FWHM)", st);
        fits_write_key_dbl(f, "BPA", h->bpa_deg, EXACT, "[deg] beam position angle", st);
    }
    fits_write_key_dbl(f, "RESTFRQ", h->restfrq, EXACT, "[Hz] rest frequency", st);
    fits_write_key_longstr(f, "OBJECT", h->object, NULL, st);
    fits_write_key_dbl(f, "DISTANCE", h->distance_pc, EXACT, "[pc] distance to the source", st);
}

/* A float32 image HDU of the header's size (the primary, or an extension after it). */
static void create_image(fitsfile *f, const fits_image_header *h, int *st)
{
    long naxes[2] = {h->width, h->height};
    fits_create_img(f, FLOAT_IMG, 2, naxes, st);
}

/* After the header keys (cfitsio would otherwise move the data as the header grows). FITS stores
 * the bottom row first: file row j (1-based) is our row H - j. */
static void write_pixels(fitsfile *f, const fits_image_header *h, const float *image, int *st)
{
    for (long j = 1; j <= h->height && *st == 0; j++) {
        long first[2] = {1, j};
        fits_write_pix(f, TFLOAT, first, h->width, (void *)(image + (size_t)(h->height - j) * (size_t)h->width), st);
    }
}

/* One HISTORY card per line of the text, at least: cfitsio continues a long line over more cards. */
static void write_history(fitsfile *f, const char *history, int *st)
{
    for (const char *p = history; p && *p && *st == 0;) {
        size_t n = strcspn(p, "\n");
        char *line = xmalloc(n + 1);
        memcpy(line, p, n);
        line[n] = '\0';
        fits_write_history(f, line, st);
        free(line);
        p += n + (p[n] == '\n');
    }
}

static void write_truth_table(fitsfile *f, const fits_truth *truth, int n, int *st)
{
    char **ttype = xmalloc((size_t)n * sizeof *ttype), **tform = xmalloc((size_t)n * sizeof *tform),
         **tunit = xmalloc((size_t)n * sizeof *tunit);
    for (int i = 0; i < n; i++) {
        ttype[i] = (char *)truth[i].name;
        tform[i] = "1D"; /* one double */
        tunit[i] = (char *)truth[i].unit;
    }
    fits_create_tbl(f, BINARY_TBL, 1, n, ttype, tform, tunit, "TRUTH", st);
    for (int i = 0; i < n; i++) fits_write_col(f, TDOUBLE, i + 1, 1, 1, 1, (void *)&truth[i].value, st);
    free(ttype);
    free(tform);
    free(tunit);
}

/* Make the closed temporary file durable, then give it its final name. */
static int sync_rename(const char *tmp, const char *path)
{
    int fd = open(tmp, O_RDONLY), rc = (fd < 0 || fsync(fd) != 0 || rename(tmp, path) != 0) ? -1 : 0;
    int saved = errno;
    if (fd >= 0) close(fd);
    errno = saved;
    return rc;
}

int fits_write_image(const char *path, const fits_image_header *h, const float *image, const float *truth_image,
                     const fits_truth *truth, int ntruth, const char *history)
{
    if (h->width < 1 || h->height < 1 || !(h->pixel_deg > 0))
        return error_set("%s: cannot write it: an image of %d x %d pixels of %g deg", path, h->width, h->height,
                         h->pixel_deg);
    size_t n = strlen(path) + sizeof ".partial";
    char *tmp = xmalloc(n);
    snprintf(tmp, n, "%s.partial", path);
    cleanup_register(tmp);
    unlink(tmp); /* cfitsio creates no file over an old one: the leftover of an interrupted run */

    /* every cfitsio call does nothing once *status is set, so the first failure is the one reported */
    fitsfile *f = NULL;
    int st = 0;
    fits_create_diskfile(&f, tmp, &st); /* the disk name as it is: no extended-filename syntax */
    create_image(f, h, &st);
    write_common(f, h, &st);
    fits_write_key_dbl(f, "NOISE", h->noise, EXACT, "[BUNIT] rms of the Gaussian noise added (0: none)", &st);
    fits_write_key_dbl(f, "MASKSIG", h->mask_sigma, EXACT, "pixels below MASKSIG*NOISE are NaN (0: none)", &st);
    fits_write_key_str(f, "ORIGIN", "synobs", NULL, &st);
    fits_write_date(f, &st);
    write_history(f, history, &st);
    write_pixels(f, h, image, &st);
    if (truth_image) {
        create_image(f, h, &st);
        fits_write_key_str(f, "EXTNAME", "TRUTH_IMAGE", "the noiseless image", &st);
        write_common(f, h, &st);
        write_pixels(f, h, truth_image, &st);
    }
    if (truth && ntruth > 0) write_truth_table(f, truth, ntruth, &st);
    if (f) {
        int close_st = 0; /* buffered data reach the disk here: a full disk may show only now */
        fits_close_file(f, &close_st);
        if (st == 0) st = close_st;
    }

    int rc = 0;
    if (st != 0)
        rc = error_set("%s: cannot write it: %s", path, fits_words(st));
    else if (sync_rename(tmp, path) != 0)
        rc = error_set("%s: cannot write it: %s", path, strerror(errno));
    if (rc != 0) unlink(tmp);
    cleanup_unregister(tmp);
    free(tmp);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------------ */

/* A number keyword: `dflt` when absent if optional, else an error naming it. */
static int read_dbl(fitsfile *f, const char *path, int hdu, const char *key, int required, double dflt, double *v)
{
    int st = 0;
    fits_read_key(f, TDOUBLE, key, v, NULL, &st);
    if (st == KEY_NO_EXIST && !required) {
        fits_clear_errmsg();
        *v = dflt;
        return 0;
    }
    if (st == KEY_NO_EXIST) return error_set("%s: HDU %d: missing keyword %s", path, hdu, key);
    if (st != 0) return error_set("%s: HDU %d: keyword %s: %s", path, hdu, key, fits_words(st));
    if (!isfinite(*v)) return error_set("%s: HDU %d: keyword %s is not a finite number", path, hdu, key);
    return 0;
}

/* A string keyword (long-string CONTINUE cards included), truncated to buf; "" when absent if optional. */
static int read_str(fitsfile *f, const char *path, int hdu, const char *key, int required, char *buf, size_t n)
{
    int st = 0;
    char *s = NULL;
    fits_read_key_longstr(f, key, &s, NULL, &st);
    buf[0] = '\0';
    if (st == 0) copy_str(buf, n, s);
    int free_st = 0; /* cfitsio frees nothing when given a failed status */
    if (s) fits_free_memory(s, &free_st);
    if (st == KEY_NO_EXIST && !required) {
        fits_clear_errmsg();
        return 0;
    }
    if (st == KEY_NO_EXIST) return error_set("%s: HDU %d: missing keyword %s", path, hdu, key);
    if (st != 0) return error_set("%s: HDU %d: keyword %s: %s", path, hdu, key, fits_words(st));
    return 0;
}

/* The first image HDU of 2 to 4 axes (a cube's plane 0 is read); its number, or -1. */
static int find_image(fitsfile *f, const char *path, long *width, long *height)
{
    int nhdu = 0, st = 0;
    fits_get_num_hdus(f, &nhdu, &st);
    for (int i = 1; i <= nhdu; i++) {
        int type = 0, naxis = 0;
        long ax[4] = {0, 0, 0, 0};
        if (fits_movabs_hdu(f, i, &type, &st) != 0) return error_set("%s: HDU %d: %s", path, i, fits_words(st));
        if (type != IMAGE_HDU) continue;
        fits_get_img_dim(f, &naxis, &st);
        if (naxis < 2 || naxis > 4) continue; /* a header-only primary HDU (NAXIS 0), say */
        fits_get_img_size(f, 4, ax, &st);
        if (st != 0) return error_set("%s: HDU %d: %s", path, i, fits_words(st));
        for (int k = 0; k < naxis; k++)
            if (ax[k] <= 0) return error_set("%s: HDU %d: empty image (NAXIS%d = %ld)", path, i, k + 1, ax[k]);
        /* a header may claim any size: refuse what no observation needs before allocating it */
        if ((double)ax[0] * (double)ax[1] > (double)(1L << 30))
            return error_set("%s: HDU %d: %ld x %ld pixels, more than synobs reads (2^30)", path, i, ax[0], ax[1]);
        *width = ax[0];
        *height = ax[1];
        return i;
    }
    return error_set("%s: no 2-D image HDU (%d HDU%s, none an image of 2 to 4 axes)", path, nhdu, nhdu == 1 ? "" : "s");
}

static int read_header(fitsfile *f, const char *path, int hdu, fits_image_header *h, double *cdelt1, double *cdelt2)
{
    char cunit[72];
    if (read_dbl(f, path, hdu, "CDELT1", 1, 0, cdelt1) || read_dbl(f, path, hdu, "CDELT2", 1, 0, cdelt2) ||
        read_str(f, path, hdu, "BUNIT", 1, h->bunit, sizeof h->bunit))
        return -1;
    if (*cdelt1 == 0 || *cdelt2 == 0 || fabs(fabs(*cdelt1) - fabs(*cdelt2)) > 1e-6 * fabs(*cdelt2))
        return error_set("%s: HDU %d: pixels are not square (CDELT1 = %g, CDELT2 = %g)", path, hdu, *cdelt1, *cdelt2);
    /* CDELT of a sky axis is in degrees unless CUNIT says otherwise: refuse, rather than misread, other units */
    for (int k = 1; k <= 2; k++) {
        char key[16];
        snprintf(key, sizeof key, "CUNIT%d", k);
        if (read_str(f, path, hdu, key, 0, cunit, sizeof cunit)) return -1;
        if (cunit[0] && strcasecmp(cunit, "deg") != 0)
            return error_set("%s: HDU %d: %s = '%s': only degrees are read", path, hdu, key, cunit);
    }
    h->pixel_deg = fabs(*cdelt2);
    double restfreq = 0;
    if (read_dbl(f, path, hdu, "CRVAL1", 0, 0, &h->crval_ra) || read_dbl(f, path, hdu, "CRVAL2", 0, 0, &h->crval_dec) ||
        read_dbl(f, path, hdu, "CRPIX1", 0, (h->width + 1) / 2.0, &h->crpix1) ||
        read_dbl(f, path, hdu, "CRPIX2", 0, (h->height + 1) / 2.0, &h->crpix2) ||
        read_dbl(f, path, hdu, "BMAJ", 0, 0, &h->bmaj_deg) || read_dbl(f, path, hdu, "BMIN", 0, 0, &h->bmin_deg) ||
        read_dbl(f, path, hdu, "BPA", 0, 0, &h->bpa_deg) ||
        read_dbl(f, path, hdu, "RESTFREQ", 0, 0, &restfreq) || /* the older spelling, still common */
        read_dbl(f, path, hdu, "RESTFRQ", 0, restfreq, &h->restfrq) ||
        read_dbl(f, path, hdu, "DISTANCE", 0, 0, &h->distance_pc) || read_dbl(f, path, hdu, "NOISE", 0, 0, &h->noise) ||
        read_dbl(f, path, hdu, "MASKSIG", 0, 0, &h->mask_sigma) ||
        read_str(f, path, hdu, "OBJECT", 0, h->object, sizeof h->object))
        return -1;
    return 0;
}

/* Plane 0, oriented north up and east left: with the usual CDELT2 > 0 the file's first row is the
 * bottom one, and with CDELT1 > 0 (RA growing to the right) its first column is the west one. */
static int read_pixels(fitsfile *f, const char *path, int hdu, const fits_image_header *h, double cdelt1,
                       double cdelt2, float **image)
{
    size_t w = (size_t)h->width, ht = (size_t)h->height;
    float *raw = xmalloc(w * ht * sizeof *raw), blank = NAN;
    long first[4] = {1, 1, 1, 1};
    int st = 0, anynul = 0; /* cfitsio writes anynul when it meets a blanked pixel: it may not be NULL */
    /* a non-zero null value makes cfitsio give NaN for blanked pixels, an integer image's BLANK too */
    fits_read_pix(f, TFLOAT, first, (LONGLONG)(w * ht), &blank, raw, &anynul, &st);
    if (st != 0) {
        free(raw);
        return error_set("%s: HDU %d: cannot read the pixels: %s", path, hdu, fits_words(st));
    }
    float *out = xmalloc(w * ht * sizeof *out);
    size_t finite = 0;
    for (size_t r = 0; r < ht; r++)
        for (size_t c = 0; c < w; c++) {
            float v = raw[(cdelt2 > 0 ? ht - 1 - r : r) * w + (cdelt1 > 0 ? w - 1 - c : c)];
            out[r * w + c] = v;
            finite += isfinite(v) != 0;
        }
    free(raw);
    if (finite == 0) {
        free(out);
        return error_set("%s: HDU %d: every pixel is NaN or infinite", path, hdu);
    }
    *image = out;
    return 0;
}

/* The TRUTH table's first row, one value per column; none is no error. */
static int read_truth(fitsfile *f, const char *path, fits_truth **truth, int *ntruth)
{
    int st = 0, ncol = 0;
    long nrow = 0;
    if (fits_movnam_hdu(f, BINARY_TBL, "TRUTH", 0, &st) == BAD_HDU_NUM) {
        fits_clear_errmsg();
        return 0;
    }
    fits_get_num_cols(f, &ncol, &st);
    fits_get_num_rows(f, &nrow, &st);
    if (st != 0) return error_set("%s: TRUTH table: %s", path, fits_words(st));
    if (nrow < 1 || ncol < 1) return error_set("%s: TRUTH table is empty (%ld rows, %d columns)", path, nrow, ncol);
    fits_truth *t = xcalloc((size_t)ncol, sizeof *t);
    for (int i = 0; i < ncol && st == 0; i++) {
        char key[FLEN_KEYWORD], val[FLEN_VALUE];
        double nan = NAN;
        int anynul = 0;
        fits_make_keyn("TTYPE", i + 1, key, &st);
        fits_read_key_str(f, key, val, NULL, &st);
        copy_str(t[i].name, sizeof t[i].name, st == 0 ? val : "");
        int unit_st = 0; /* TUNIT is optional */
        fits_make_keyn("TUNIT", i + 1, key, &unit_st);
        if (fits_read_key_str(f, key, val, NULL, &unit_st) == 0) copy_str(t[i].unit, sizeof t[i].unit, val);
        fits_clear_errmsg();
        fits_read_col(f, TDOUBLE, i + 1, 1, 1, 1, &nan, &t[i].value, &anynul, &st);
        if (st != 0) {
            free(t);
            return error_set("%s: TRUTH table, column %d: %s", path, i + 1, fits_words(st));
        }
    }
    *truth = t;
    *ntruth = ncol;
    return 0;
}

int fits_read_image(const char *path, fits_image_header *h, float **image, fits_truth **truth, int *ntruth)
{
    memset(h, 0, sizeof *h);
    *image = NULL;
    if (truth) *truth = NULL;
    if (ntruth) *ntruth = 0;
    /* the system's words for a file that cannot be opened; cfitsio's would be vaguer */
    FILE *probe = fopen(path, "rb");
    if (!probe) return error_set("%s: cannot open it: %s", path, strerror(errno));
    fclose(probe);
    fitsfile *f = NULL;
    int st = 0;
    if (fits_open_diskfile(&f, path, READONLY, &st) != 0)
        return error_set("%s: not a readable FITS file (cfitsio: %s)", path, fits_words(st));

    long width = 0, height = 0;
    double cdelt1 = 0, cdelt2 = 0;
    int hdu = find_image(f, path, &width, &height), rc = hdu < 0 ? -1 : 0;
    if (rc == 0) {
        h->width = (int)width;
        h->height = (int)height;
        rc = read_header(f, path, hdu, h, &cdelt1, &cdelt2);
    }
    if (rc == 0) rc = read_pixels(f, path, hdu, h, cdelt1, cdelt2, image);
    if (rc == 0 && truth && ntruth) rc = read_truth(f, path, truth, ntruth);
    st = 0;
    fits_close_file(f, &st);
    if (rc != 0) {
        free(*image);
        *image = NULL;
    }
    return rc;
}
