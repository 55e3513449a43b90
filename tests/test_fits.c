/* FITS images (io/fits.c): what observe writes reads back unchanged, rows in the order FITS wants
 * (checked with cfitsio itself), a cube's first plane, and every bad input one line naming the file.
 * `test_fits --write-sample DIR` writes DIR/sample.fits for tests/test_fits_astropy.py instead. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */
#include <fitsio.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/check.h"
#include "io/fits.h"
#include "mpi_test.h"

/* ---- the sample the Python check reads (keep in step with tests/test_fits_astropy.py) ---- */

enum { SAMPLE_H = 6, SAMPLE_W = 9 };

static int write_sample(const char *dir)
{
    static float image[SAMPLE_H * SAMPLE_W], truth_image[SAMPLE_H * SAMPLE_W];
    for (int r = 0; r < SAMPLE_H; r++)
        for (int c = 0; c < SAMPLE_W; c++) {
            truth_image[r * SAMPLE_W + c] = (float)((r * SAMPLE_W + c) * 0.5 - 3.0);
            image[r * SAMPLE_W + c] = truth_image[r * SAMPLE_W + c] + 0.25f;
        }
    image[1 * SAMPLE_W + 2] = NAN; /* a blanked pixel */
    fits_image_header h = {.height = SAMPLE_H, .width = SAMPLE_W, .pixel_deg = fits_pixel_deg(2.0, 150.0),
                           .crval_ra = 201.365, .crval_dec = -43.019, .bmaj_deg = 1e-5, .bmin_deg = 8e-6,
                           .bpa_deg = 30.0, .restfrq = 230.538e9, .distance_pc = 150.0, .object = "sample binary",
                           .bunit = "Jy/beam", .noise = 1e-4, .mask_sigma = 3.0};
    const fits_truth truth[] = {
        {"mass_primary", 1.5, "Msun"}, {"separation", 40.0, "AU"}, {"inclination", 30.0, "deg"}};
    char path[4096];
    snprintf(path, sizeof path, "%s/sample.fits", dir);
    if (fits_write_image(path, &h, image, truth_image, truth, 3,
                         "synobs observe: a sample for the astropy check\nA second line long enough to be continued "
                         "over more than one HISTORY card, since a card holds 72 characters of text at most.") != 0) {
        fprintf(stderr, "test_fits: %s\n", error_message());
        return 1;
    }
    return 0;
}

static int sample_mode(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-sample") == 0) return write_sample(argv[2]);
    if (argc > 1) {
        fprintf(stderr, "usage: test_fits [--write-sample DIR]\n");
        return 2;
    }
    return -1;
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* Each test works in a fresh directory under the working directory, removed afterwards, and
 * starts with no error recorded (a failed test may leave one, and the first error wins). */
static int make_dir(void **state)
{
    static char dir[64];
    error_clear();
    snprintf(dir, sizeof dir, "fits_test_XXXXXX");
    if (!mkdtemp(dir)) return -1;
    *state = dir;
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int remove_dir(void **state) { return nftw(*state, remove_entry, 8, FTW_DEPTH | FTW_PHYS); }

static const char *at(void **state, const char *name)
{
    static char path[4][256]; /* a few live at once */
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", (const char *)*state, name);
    return p;
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* A FITS file written by cfitsio directly, as another program would: a float image of `naxis` axes
 * (0: a header only) with CDELT1/CDELT2 (left out when NaN) and BUNIT (left out when NULL). */
static void raw_fits(const char *path, int naxis, long *naxes, const float *data, double cdelt1, double cdelt2,
                     const char *bunit)
{
    fitsfile *f = NULL;
    int st = 0;
    long first[4] = {1, 1, 1, 1}, n = 1;
    for (int k = 0; k < naxis; k++) n *= naxes[k];
    fits_create_diskfile(&f, path, &st);
    fits_create_img(f, FLOAT_IMG, naxis, naxes, &st);
    if (naxis > 0 && n > 0) fits_write_pix(f, TFLOAT, first, n, (void *)data, &st);
    if (!isnan(cdelt1)) fits_write_key_dbl(f, "CDELT1", cdelt1, -17, NULL, &st);
    if (!isnan(cdelt2)) fits_write_key_dbl(f, "CDELT2", cdelt2, -17, NULL, &st);
    if (bunit) fits_write_key_str(f, "BUNIT", bunit, NULL, &st);
    fits_close_file(f, &st);
    assert_int_equal(st, 0);
}

/* One more header card, as written (e.g. "CUNIT1  = 'arcsec'"). */
static void add_card(const char *path, const char *card)
{
    fitsfile *f = NULL;
    int st = 0;
    fits_open_diskfile(&f, path, READWRITE, &st);
    fits_write_record(f, card, &st);
    fits_close_file(f, &st);
    assert_int_equal(st, 0);
}

/* Equal, NaN where NaN. */
static void assert_pixels_equal(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(b[i])) assert_true(isnan(a[i]));
        else assert_true(a[i] == b[i]);
    }
}

/* The bad input gives -1, no image, and one line naming the file and the problem. */
static void assert_read_fails(const char *path, const char *problem)
{
    fits_image_header h;
    float *image = (float *)1;
    assert_int_equal(fits_read_image(path, &h, &image, NULL, NULL), -1);
    assert_null(image);
    const char *msg = error_message();
    if (!strstr(msg, path) || !strstr(msg, problem) || strchr(msg, '\n'))
        fail_msg("expected '%s' and '%s' in one line, got '%s'", path, problem, msg);
    error_clear();
}

/* ---- tests -------------------------------------------------------------------------------- */

enum { H = 5, W = 7 };

static fits_image_header sample_header(void)
{
    return (fits_image_header){.height = H, .width = W, .pixel_deg = fits_pixel_deg(1.5, 120.0), .crval_ra = 83.8221,
                               .crval_dec = -5.3911, .bmaj_deg = 2e-5, .bmin_deg = 1.5e-5, .bpa_deg = -12.5,
                               .restfrq = 345.796e9, .distance_pc = 120.0, .object = "B2 snap 14 obs 3",
                               .bunit = "Jy/beam", .noise = 2.5e-4, .mask_sigma = 3.0};
}

static void test_round_trip(void **state)
{
    float image[H * W];
    for (int i = 0; i < H * W; i++) image[i] = 0.125f * (float)i - 1.0f; /* distinct */
    image[2 * W + 3] = NAN;
    const fits_image_header h = sample_header();
    const char *path = at(state, "obs.fits");
    assert_int_equal(fits_write_image(path, &h, image, NULL, NULL, 0, NULL), 0);
    assert_false(error_pending());
    assert_false(exists(at(state, "obs.fits.partial")));

    fits_image_header back;
    float *pix = NULL;
    fits_truth *truth = (fits_truth *)1;
    int ntruth = -1;
    assert_int_equal(fits_read_image(path, &back, &pix, &truth, &ntruth), 0);
    assert_int_equal(back.height, H);
    assert_int_equal(back.width, W);
    assert_true(back.pixel_deg == h.pixel_deg);
    assert_true(back.crval_ra == h.crval_ra && back.crval_dec == h.crval_dec);
    assert_true(back.crpix1 == 4.0 && back.crpix2 == 3.0);
    assert_true(back.bmaj_deg == h.bmaj_deg && back.bmin_deg == h.bmin_deg && back.bpa_deg == h.bpa_deg);
    assert_true(back.restfrq == h.restfrq && back.distance_pc == h.distance_pc);
    assert_true(back.noise == h.noise && back.mask_sigma == h.mask_sigma);
    assert_string_equal(back.object, h.object);
    assert_string_equal(back.bunit, h.bunit);
    assert_pixels_equal(pix, image, H * W);
    assert_null(truth); /* no TRUTH table written */
    assert_int_equal(ntruth, 0);
    free(pix);

    /* in the file itself, its first row is our last (FITS stores the bottom row first) */
    fitsfile *f = NULL;
    int st = 0, bitpix = 0;
    float row[W];
    char ctype1[FLEN_VALUE];
    double cdelt1 = 0;
    fits_open_diskfile(&f, path, READONLY, &st);
    fits_get_img_type(f, &bitpix, &st);
    fits_read_key_str(f, "CTYPE1", ctype1, NULL, &st);
    fits_read_key(f, TDOUBLE, "CDELT1", &cdelt1, NULL, &st);
    long first[2] = {1, 1};
    fits_read_pix(f, TFLOAT, first, W, NULL, row, NULL, &st);
    assert_pixels_equal(row, image + (H - 1) * W, W);
    first[1] = H;
    fits_read_pix(f, TFLOAT, first, W, NULL, row, NULL, &st);
    assert_pixels_equal(row, image, W);
    first[1] = H - 2; /* our row 2, with its NaN */
    fits_read_pix(f, TFLOAT, first, W, NULL, row, NULL, &st);
    assert_pixels_equal(row, image + 2 * W, W);
    fits_close_file(f, &st);
    assert_int_equal(st, 0);
    assert_int_equal(bitpix, FLOAT_IMG);
    assert_string_equal(ctype1, "RA---SIN");
    assert_true(cdelt1 == -h.pixel_deg);
}

static void test_truth(void **state)
{
    float image[H * W], truth_image[H * W];
    for (int i = 0; i < H * W; i++) {
        truth_image[i] = (float)(i * i) / 7.0f;
        image[i] = truth_image[i] + 0.5f;
    }
    fits_image_header h = sample_header();
    h.bmaj_deg = h.bmin_deg = h.bpa_deg = 0; /* no beam: no BMAJ written, none needed */
    const fits_truth truth[] = {{"mass_primary", 1.25, "Msun"}, {"separation", 35.5, "AU"}, {"age", 1.0e5, "yr"}};
    const char *path = at(state, "truth.fits");
    assert_int_equal(fits_write_image(path, &h, image, truth_image, truth, 3,
                                      "first line\nsecond line, long enough to need more than one card: "
                                      "a HISTORY card holds at most 72 characters of text"),
                     0);

    fits_image_header back;
    float *pix = NULL;
    fits_truth *t = NULL;
    int nt = 0;
    assert_int_equal(fits_read_image(path, &back, &pix, &t, &nt), 0);
    assert_pixels_equal(pix, image, H * W); /* the primary, not TRUTH_IMAGE */
    assert_true(back.bmaj_deg == 0 && back.bmin_deg == 0 && back.bpa_deg == 0);
    assert_int_equal(nt, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(t[i].name, truth[i].name);
        assert_string_equal(t[i].unit, truth[i].unit);
        assert_true(t[i].value == truth[i].value);
    }
    free(pix);
    free(t);

    /* TRUTH_IMAGE, flipped the same way, with the same geometry; no BMAJ; the HISTORY wrapped */
    fitsfile *f = NULL;
    int st = 0, nkeys = 0, nhistory = 0;
    float file[H * W];
    double cdelt2 = 0;
    char bunit[FLEN_VALUE], card[FLEN_CARD];
    fits_open_diskfile(&f, path, READONLY, &st);
    fits_get_hdrspace(f, &nkeys, NULL, &st);
    for (int k = 1; k <= nkeys; k++) {
        fits_read_record(f, k, card, &st);
        nhistory += strncmp(card, "HISTORY ", 8) == 0;
    }
    int bmaj_st = 0;
    double bmaj;
    fits_read_key(f, TDOUBLE, "BMAJ", &bmaj, NULL, &bmaj_st);
    assert_int_equal(bmaj_st, KEY_NO_EXIST);
    fits_movnam_hdu(f, IMAGE_HDU, "TRUTH_IMAGE", 0, &st);
    fits_read_key(f, TDOUBLE, "CDELT2", &cdelt2, NULL, &st);
    fits_read_key_str(f, "BUNIT", bunit, NULL, &st);
    long first[2] = {1, 1};
    fits_read_pix(f, TFLOAT, first, H * W, NULL, file, NULL, &st);
    fits_close_file(f, &st);
    assert_int_equal(st, 0);
    assert_true(nhistory >= 3);
    assert_true(cdelt2 == h.pixel_deg);
    assert_string_equal(bunit, h.bunit);
    for (int r = 0; r < H; r++) assert_pixels_equal(file + (H - 1 - r) * W, truth_image + r * W, W);
}

static void test_cube_and_orientation(void **state)
{
    /* a cube (W=4, H=3, 2 planes), as radio software writes them: plane 0 is read, flipped */
    enum { CW = 4, CH = 3 };
    float cube[2 * CH * CW];
    for (int i = 0; i < 2 * CH * CW; i++) cube[i] = (float)i + 100.0f;
    long naxes[3] = {CW, CH, 2};
    const char *path = at(state, "cube.fits");
    raw_fits(path, 3, naxes, cube, -1e-5, 1e-5, "K");
    add_card(path, "RESTFREQ=        1.15271202E+11 / the older spelling of RESTFRQ");
    fits_image_header h;
    float *pix = NULL;
    assert_int_equal(fits_read_image(path, &h, &pix, NULL, NULL), 0);
    assert_int_equal(h.width, CW);
    assert_int_equal(h.height, CH);
    assert_true(h.pixel_deg == 1e-5);
    assert_string_equal(h.bunit, "K");
    assert_true(h.crval_ra == 0 && h.crpix1 == 2.5 && h.crpix2 == 2.0); /* the defaults */
    assert_true(h.restfrq == 1.15271202e11);
    for (int r = 0; r < CH; r++) assert_pixels_equal(pix + r * CW, cube + (CH - 1 - r) * CW, CW);
    free(pix);

    /* RA growing to the right, Dec downwards: the file is already top row first, but mirrored */
    long naxes2[2] = {CW, CH};
    path = at(state, "mirrored.fits");
    raw_fits(path, 2, naxes2, cube, 1e-5, -1e-5, "K");
    assert_int_equal(fits_read_image(path, &h, &pix, NULL, NULL), 0);
    for (int r = 0; r < CH; r++)
        for (int c = 0; c < CW; c++) assert_true(pix[r * CW + c] == cube[r * CW + (CW - 1 - c)]);
    free(pix);
}

static void test_bad_inputs(void **state)
{
    float data[6] = {1, 2, 3, 4, 5, 6}, nans[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
    long naxes[2] = {3, 2};
    assert_false(error_pending());

    const char *path = at(state, "text.fits");
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 100; i++) fprintf(f, "this is a text file, not a FITS file at all\n");
    fclose(f);
    assert_read_fails(path, "not a readable FITS file");

    assert_read_fails(at(state, "absent.fits"), "cannot open it: No such file");

    raw_fits(path = at(state, "header_only.fits"), 0, naxes, NULL, -1e-5, 1e-5, "Jy/beam");
    assert_read_fails(path, "no 2-D image HDU");

    long empty[2] = {3, 0};
    raw_fits(path = at(state, "empty.fits"), 2, empty, NULL, -1e-5, 1e-5, "Jy/beam");
    assert_read_fails(path, "HDU 1: empty image (NAXIS2 = 0)");

    raw_fits(path = at(state, "no_cdelt1.fits"), 2, naxes, data, NAN, 1e-5, "Jy/beam");
    assert_read_fails(path, "HDU 1: missing keyword CDELT1");

    raw_fits(path = at(state, "no_bunit.fits"), 2, naxes, data, -1e-5, 1e-5, NULL);
    assert_read_fails(path, "HDU 1: missing keyword BUNIT");

    raw_fits(path = at(state, "oblong.fits"), 2, naxes, data, -1e-5, 2e-5, "Jy/beam");
    assert_read_fails(path, "HDU 1: pixels are not square");

    raw_fits(path = at(state, "arcsec.fits"), 2, naxes, data, -1e-5, 1e-5, "Jy/beam");
    add_card(path, "CUNIT1  = 'arcsec'");
    assert_read_fails(path, "HDU 1: CUNIT1 = 'arcsec': only degrees are read");

    raw_fits(path = at(state, "all_nan.fits"), 2, naxes, nans, -1e-5, 1e-5, "Jy/beam");
    assert_read_fails(path, "HDU 1: every pixel is NaN");

    /* one finite pixel is enough: the rest are blanked pixels */
    nans[4] = 2.0f;
    raw_fits(path = at(state, "one_pixel.fits"), 2, naxes, nans, -1e-5, 1e-5, "Jy/beam");
    fits_image_header h;
    float *pix = NULL;
    assert_int_equal(fits_read_image(path, &h, &pix, NULL, NULL), 0);
    assert_true(pix[1] == 2.0f && isnan(pix[0])); /* file row 2 is our row 0 */
    free(pix);
}

static void test_write_fails(void **state)
{
    float image[H * W] = {0};
    const fits_image_header h = sample_header();
    const char *path = at(state, "no_such_dir/obs.fits");
    assert_int_equal(fits_write_image(path, &h, image, NULL, NULL, 0, NULL), -1);
    if (!strstr(error_message(), path) || !strstr(error_message(), "cannot write it"))
        fail_msg("got '%s'", error_message());
    error_clear();
    assert_false(exists(path));
    assert_false(exists(at(state, "no_such_dir/obs.fits.partial")));
    assert_false(exists(at(state, "no_such_dir")));
}

static const struct CMUnitTest group[] = {
    cmocka_unit_test_setup_teardown(test_round_trip, make_dir, remove_dir),
    cmocka_unit_test_setup_teardown(test_truth, make_dir, remove_dir),
    cmocka_unit_test_setup_teardown(test_cube_and_orientation, make_dir, remove_dir),
    cmocka_unit_test_setup_teardown(test_bad_inputs, make_dir, remove_dir),
    cmocka_unit_test_setup_teardown(test_write_fails, make_dir, remove_dir),
};
MPI_TEST_MAIN_WITH_MODE(group, sample_mode)
