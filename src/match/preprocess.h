/**
 * @file preprocess.h
 * @brief The preprocessing that the observation and every catalogue image share (spec
 * analogues.md §3): geometry (rotate, zoom, crop), nearest-neighbour fill of missing pixels, the
 * intensity stretch, Pillow-exact bicubic resize, channel replication and the model's input
 * convention. Every function is deterministic (no threads, no randomness, fixed summation order).
 *
 * Conventions: images are row-major float32, (H, W), row 0 at the top and column 0 at the left
 * (§2.2). Pixel (r, c) has its centre at the position (r, c); the field covers positions
 * [-0.5, H-0.5] x [-0.5, W-0.5]. A missing pixel is NaN (or ±inf on input).
 *
 * Bilinear sampling (rotation, zoom): a position inside the field is clamped to the grid of pixel
 * centres [0, H-1] x [0, W-1] and interpolated from its (up to) four neighbours; a neighbour whose
 * weight is exactly 0 is not read. The result is NaN if any neighbour with a non-zero weight is
 * not finite (missing areas grow by at most one pixel; the fill of step 2 takes care of them).
 * A position outside the field gives NaN.
 */
#ifndef SYNOBS_MATCH_PREPROCESS_H
#define SYNOBS_MATCH_PREPROCESS_H

#include <hdf5.h>
#include <stddef.h>

/** Intensity stretch into [0, 1] (§3 item 3). */
typedef enum {
    PREP_STRETCH_LOG_MINMAX = 0, /**< default: s = log10(I/I_lo)/log10(I_max/I_lo) */
    PREP_STRETCH_LINEAR_MINMAX = 1 /**< s = (I − I_min)/(I_max − I_min); moment-1 maps */
} prep_stretch_kind;

/** The network's input convention (§9.2–9.4), applied after replicating the channel to 3. */
typedef enum {
    PREP_CONV_NSFWJS = 0, /**< RGB in [0, 1]: the stretch output as is (nsfwjs MobileNetV2/InceptionV3) */
    PREP_CONV_CAFFE = 1,  /**< VGG16/19: x·255, RGB→BGR, minus [103.939, 116.779, 123.68] (BGR order) */
    PREP_CONV_TORCH = 2   /**< DenseNet121: (x − [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225] (RGB) */
} prep_convention;

/** Every preprocessing parameter; one value for the observation and the whole catalogue. */
typedef struct {
    double rotate_deg;     /**< counter-clockwise rotation of the picture as displayed, degrees; 0: none */
    double rotate_row;     /**< rotation centre (pixel position, input image), e.g. the binary midpoint */
    double rotate_col;
    double zoom;           /**< output pixels per input pixel = input pixel scale / target pixel scale; 1: none */
    int crop_size;         /**< side of the square window in zoomed pixels; 0: no crop */
    double crop_row;       /**< window centre, pixel position in the rotated, not yet zoomed image */
    double crop_col;
    prep_stretch_kind stretch;
    double log_floor;      /**< I_lo ≥ log_floor·I_max for log_minmax (default 1e-6) */
    int input_size;        /**< network input side (default 224); 0: `native`, no resize */
    prep_convention convention;
} prep_params;

/** Defaults: no geometry, log_minmax with floor 1e-6, 224x224, nsfwjs convention. */
prep_params prep_params_default(void);

/**
 * @brief Write every parameter as an attribute of `loc` (a group or dataset of the features
 * file): prep_rotate_deg, prep_rotate_row, prep_rotate_col, prep_zoom, prep_crop_size,
 * prep_crop_row, prep_crop_col, prep_stretch ("log_minmax" | "linear_minmax"), prep_log_floor,
 * prep_input_size ("native" or the side as a string, and prep_input_size_px: 0 for native),
 * prep_convention ("nsfwjs" | "caffe" | "torch"), prep_resize ("pillow_bicubic_a-0.5"),
 * prep_fill ("nearest_euclidean_ties_smallest_row_col"), prep_interp ("bilinear_nan_propagating").
 */
void prep_params_write_h5(const prep_params *p, hid_t loc);

/* ---- 1. Geometry ------------------------------------------------------------------------ */

/**
 * @brief The counter-clockwise rotation (degrees, in (-180, 180]) that puts the primary at pixel
 * position (r1, c1) exactly above the secondary (r2, c2): after prep_rotate with this angle (any
 * centre), both are in the same column and the primary has the smaller row.
 * @return 0, or -1 with error_set if the two positions coincide.
 */
int prep_angle_primary_above(double r1, double c1, double r2, double c2, double *deg);

/** Where the content at position (r, c) lands after prep_rotate(deg, about (rc, cc)). */
void prep_rotate_point(double deg, double rc, double cc, double r, double c, double *r_out, double *c_out);

/**
 * @brief Rotate `in` (H, W) counter-clockwise by `deg` about the position (rc, cc) into `out`
 * (H, W), bilinear; output pixels whose source lies outside the field are NaN. Multiples of 90°
 * use exact sines and cosines, so (about a pixel centre or a square's centre) they permute pixels exactly.
 */
void prep_rotate(const float *in, int H, int W, double deg, double rc, double cc, float *out);

/** The zoomed size: max(1, floor(n·zoom + 0.5)). */
int prep_zoom_size(int n, double zoom);

/**
 * @brief Resample `in` (H, W) to (h, w) = (prep_zoom_size(H, zoom), prep_zoom_size(W, zoom)),
 * bilinear (no antialiasing), the fields' edges aligned: output pixel (i, j) samples the input
 * position ((i + ½)·H/h − ½, (j + ½)·W/w − ½). NaN as for all bilinear sampling (file comment).
 */
void prep_zoom(const float *in, int H, int W, float *out, int h, int w);

/**
 * @brief Square window of side S centred on the position (rc, cc): out[i][j] = in[r0+i][c0+j]
 * with r0 = floor(rc − (S−1)/2 + ½) (c0 likewise); pixels outside `in` are NaN. No interpolation.
 */
void prep_crop(const float *in, int H, int W, double rc, double cc, int S, float *out);

/* ---- 2. Missing pixels ------------------------------------------------------------------ */

/**
 * @brief Nearest-neighbour fill in place: every non-finite pixel takes the value of the finite
 * pixel nearest in Euclidean pixel distance; ties go to the smallest (row, col). Exact (integer
 * squared distances): per column the nearest valid row (ties: the upper one), then per pixel a
 * scan over columns outward from its own, stopped once the column offset alone exceeds the best
 * distance. O(H·W) per column pass, O(H·W·k) for the row pass with k the columns within reach.
 * @return 0, or -1 with error_set naming `name` if no pixel is finite (img unchanged).
 */
int prep_fill_nearest(float *img, int H, int W, const char *name);

/* ---- 3. Intensity stretch ---------------------------------------------------------------- */

/**
 * @brief Stretch n finite values into [0, 1], computed in double and stored float32 (in == out allowed).
 * log_minmax: I_lo = max(smallest positive I, floor·I_max); s = log10(I/I_lo)/log10(I_max/I_lo),
 * I ≤ I_lo → 0. linear_minmax: s = (I − I_min)/(I_max − I_min). A constant image (I_max = I_min,
 * or for log_minmax I_max ≤ I_lo, which includes I_max ≤ 0) gives all zeros.
 * @return 0, or -1 with error_set naming `name` if a value is not finite.
 */
int prep_stretch(prep_stretch_kind kind, double floor, const float *in, size_t n, float *out, const char *name);

/* ---- 4. Resize ---------------------------------------------------------------------------- */

/**
 * @brief Pillow's Image.resize((w, h), BICUBIC) on a mode-F image, bit for bit (Pillow 9.4,
 * src/libImaging/Resample.c): Keys a = −0.5, per axis scale = n_in/n_out, fs = max(scale, 1),
 * support 2·fs, centre (x + ½)·scale, taps from trunc(centre − support + ½) (clipped at 0) up to
 * trunc(centre + support + ½) (clipped at n_in), weights K((j − centre + ½)·(1/fs)) divided by
 * their sum; horizontal pass first (only the rows the vertical pass reads), then vertical; each
 * pass sums in double in tap order and rounds to float32. An axis whose size is unchanged is not
 * resampled (Pillow's shortcut); both unchanged is a copy. No NaN handling: fill first.
 */
void prep_resize_bicubic(const float *in, int H, int W, float *out, int h, int w);

/* ---- 5, 6. Channels, convention, the whole chain ------------------------------------------ */

/**
 * @brief (h, w) grey image → (1, h, w, 3) NHWC float32 in the model's convention, computed in
 * float32 as Keras does.
 */
void prep_channels(prep_convention conv, const float *in, int h, int w, float *out_nhwc);

/** The side lengths prep_image produces for an (H, W) input: the network size, or for `native`
 *  the size after the geometry steps. */
void prep_output_size(const prep_params *p, int H, int W, int *h, int *w);

/**
 * @brief The whole chain: rotate (if rotate_deg ≠ 0) → zoom (if zoom ≠ 1) → crop (if crop_size
 * > 0) → fill → stretch → resize (unless native) → 3 channels in the model convention.
 * out_nhwc holds 3·h·w floats, (h, w) from prep_output_size.
 * @return 0, or -1 with error_set (naming `name`) when no pixel is valid or a parameter is bad.
 */
int prep_image_named(const prep_params *p, const char *name, const float *img, int H, int W, float *out_nhwc);
/** prep_image_named with the name "image". */
int prep_image(const prep_params *p, const float *img, int H, int W, float *out_nhwc);

#endif
