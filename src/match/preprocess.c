/* The shared preprocessing of observation and catalogue images (spec analogues.md §3); see
 * preprocess.h for every convention. */
#include "match/preprocess.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "io/h5util.h"

#define PREP_PI 3.14159265358979323846

/* The bicubic resize must sum a*b terms unfused, as Pillow's x86-64 build does: GCC in ISO C
 * mode (-std=c17) does not contract; clang needs telling. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

prep_params prep_params_default(void)
{
    prep_params p;
    memset(&p, 0, sizeof p);
    p.zoom = 1.0;
    p.stretch = PREP_STRETCH_LOG_MINMAX;
    p.log_floor = 1e-6;
    p.input_size = 224;
    p.convention = PREP_CONV_NSFWJS;
    return p;
}

static const char *stretch_name(prep_stretch_kind k)
{
    return k == PREP_STRETCH_LINEAR_MINMAX ? "linear_minmax" : "log_minmax";
}

static const char *convention_name(prep_convention c)
{
    switch (c) {
    case PREP_CONV_CAFFE: return "caffe";
    case PREP_CONV_TORCH: return "torch";
    default: return "nsfwjs";
    }
}

void prep_params_write_h5(const prep_params *p, hid_t loc)
{
    h5_attr_f64(loc, "prep_rotate_deg", p->rotate_deg);
    h5_attr_f64(loc, "prep_rotate_row", p->rotate_row);
    h5_attr_f64(loc, "prep_rotate_col", p->rotate_col);
    h5_attr_f64(loc, "prep_zoom", p->zoom);
    h5_attr_i64(loc, "prep_crop_size", p->crop_size);
    h5_attr_f64(loc, "prep_crop_row", p->crop_row);
    h5_attr_f64(loc, "prep_crop_col", p->crop_col);
    h5_attr_string(loc, "prep_stretch", stretch_name(p->stretch));
    h5_attr_f64(loc, "prep_log_floor", p->log_floor);
    char size[32];
    if (p->input_size > 0) snprintf(size, sizeof size, "%d", p->input_size);
    else snprintf(size, sizeof size, "native");
    h5_attr_string(loc, "prep_input_size", size);
    h5_attr_i64(loc, "prep_input_size_px", p->input_size > 0 ? p->input_size : 0);
    h5_attr_string(loc, "prep_convention", convention_name(p->convention));
    h5_attr_string(loc, "prep_resize", "pillow_bicubic_a-0.5");
    h5_attr_string(loc, "prep_fill", "nearest_euclidean_ties_smallest_row_col");
    h5_attr_string(loc, "prep_interp", "bilinear_nan_propagating");
}

/* ---- 1. Geometry ---------------------------------------------------------------------- */

/* cos and sin of deg degrees, exact at multiples of 90°. */
static void cos_sin_deg(double deg, double *c, double *s)
{
    double q = deg / 90.0;
    if (q == floor(q) && fabs(q) < 1e15) {
        long k = ((long)fmod(q, 4.0) + 4) % 4;
        static const double C[4] = {1, 0, -1, 0}, S[4] = {0, 1, 0, -1};
        *c = C[k];
        *s = S[k];
        return;
    }
    double t = deg * (PREP_PI / 180.0);
    *c = cos(t);
    *s = sin(t);
}

int prep_angle_primary_above(double r1, double c1, double r2, double c2, double *deg)
{
    /* Secondary → primary in display axes (x right, y up). */
    double vx = c1 - c2, vy = r2 - r1;
    if (vx == 0.0 && vy == 0.0) return error_set("primary and secondary at the same pixel position (%g, %g)", r1, c1);
    double d = 90.0 - atan2(vy, vx) * (180.0 / PREP_PI);
    while (d > 180.0) d -= 360.0;
    while (d <= -180.0) d += 360.0;
    *deg = d;
    return 0;
}

void prep_rotate_point(double deg, double rc, double cc, double r, double c, double *r_out, double *c_out)
{
    double co, si;
    cos_sin_deg(deg, &co, &si);
    double dx = c - cc, dy = rc - r; /* display axes */
    double x = co * dx - si * dy, y = si * dx + co * dy;
    *c_out = cc + x;
    *r_out = rc - y;
}

/* Bilinear sample of (H, W) at position (r, c) (see the header: clamp inside the field, NaN outside
 * or where a neighbour with non-zero weight is missing). */
static float sample_bilinear(const float *in, int H, int W, double r, double c)
{
    if (!(r >= -0.5 && r <= H - 0.5 && c >= -0.5 && c <= W - 0.5)) return NAN;
    if (r < 0) r = 0;
    if (r > H - 1) r = H - 1;
    if (c < 0) c = 0;
    if (c > W - 1) c = W - 1;
    int r0 = (int)floor(r), c0 = (int)floor(c);
    double fr = r - r0, fc = c - c0;
    double wr[2] = {1.0 - fr, fr}, wc[2] = {1.0 - fc, fc};
    double s = 0.0;
    for (int a = 0; a < 2; a++) {
        if (wr[a] == 0.0) continue;
        for (int b = 0; b < 2; b++) {
            if (wc[b] == 0.0) continue;
            float v = in[(size_t)(r0 + a) * W + (c0 + b)];
            if (!isfinite(v)) return NAN;
            s += wr[a] * wc[b] * v;
        }
    }
    return (float)s;
}

void prep_rotate(const float *in, int H, int W, double deg, double rc, double cc, float *out)
{
    /* Output position p takes the content of the source position rotated by −deg about the centre. */
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            double sr, sc;
            prep_rotate_point(-deg, rc, cc, i, j, &sr, &sc);
            out[(size_t)i * W + j] = sample_bilinear(in, H, W, sr, sc);
        }
}

int prep_zoom_size(int n, double zoom)
{
    double s = floor(n * zoom + 0.5);
    return s < 1 ? 1 : (int)s;
}

void prep_zoom(const float *in, int H, int W, float *out, int h, int w)
{
    double sy = (double)H / h, sx = (double)W / w;
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            out[(size_t)i * w + j] = sample_bilinear(in, H, W, (i + 0.5) * sy - 0.5, (j + 0.5) * sx - 0.5);
}

void prep_crop(const float *in, int H, int W, double rc, double cc, int S, float *out)
{
    long r0 = (long)floor(rc - (S - 1) / 2.0 + 0.5), c0 = (long)floor(cc - (S - 1) / 2.0 + 0.5);
    for (int i = 0; i < S; i++)
        for (int j = 0; j < S; j++) {
            long r = r0 + i, c = c0 + j;
            out[(size_t)i * S + j] = (r >= 0 && r < H && c >= 0 && c < W) ? in[(size_t)r * W + c] : NAN;
        }
}

/* ---- 2. Missing pixels ---------------------------------------------------------------- */

int prep_fill_nearest(float *img, int H, int W, const char *name)
{
    size_t n = (size_t)H * W;
    /* colrow[i*W + j]: the row of the valid pixel nearest to row i in column j (ties: the upper
     * one), -1 if the column has none; (H, W). */
    int *colrow = xmalloc(n * sizeof *colrow);
    int any = 0;
    for (size_t k = 0; k < n; k++) any |= isfinite(img[k]) != 0;
    if (!any) {
        free(colrow);
        return error_set("%s: no valid (finite) pixel to fill the missing ones from", name ? name : "image");
    }
    int *up = xmalloc((size_t)H * sizeof *up);
    for (int j = 0; j < W; j++) {
        int last = -1;
        for (int i = 0; i < H; i++) { /* nearest valid at or above */
            if (isfinite(img[(size_t)i * W + j])) last = i;
            up[i] = last;
        }
        int next = -1;
        for (int i = H - 1; i >= 0; i--) { /* nearest valid at or below; the upper one wins ties */
            if (isfinite(img[(size_t)i * W + j])) next = i;
            int best = up[i];
            if (next >= 0 && (best < 0 || next - i < i - best)) best = next;
            colrow[(size_t)i * W + j] = best;
        }
    }
    free(up);
    /* Per missing pixel, the lexicographic minimum of (d², row, col) over the columns' candidates:
     * a column's candidate dominates every other valid pixel of that column (smaller d², or equal
     * d² and smaller row), so this is the minimum over all valid pixels. Columns are visited at
     * growing offset and the scan stops once the offset² alone exceeds the best d². Only pixels
     * valid on entry are read (colrow was built before any write), so filling in place is safe. */
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            size_t k = (size_t)i * W + j;
            if (isfinite(img[k])) continue;
            int64_t bd = INT64_MAX;
            int br = 0, bc = 0;
            for (int off = 0;; off++) {
                int64_t o2 = (int64_t)off * off;
                if (o2 > bd) break;
                if (j - off < 0 && j + off >= W) break;
                for (int side = 0; side < 2; side++) {
                    if (off == 0 && side == 1) break;
                    int c = side == 0 ? j - off : j + off;
                    if (c < 0 || c >= W) continue;
                    int r = colrow[(size_t)i * W + c];
                    if (r < 0) continue;
                    int64_t d = o2 + (int64_t)(r - i) * (r - i);
                    if (d < bd || (d == bd && (r < br || (r == br && c < bc)))) {
                        bd = d;
                        br = r;
                        bc = c;
                    }
                }
            }
            img[k] = img[(size_t)br * W + bc];
        }
    free(colrow);
    return 0;
}

/* ---- 3. Intensity stretch ------------------------------------------------------------- */

int prep_stretch(prep_stretch_kind kind, double floor_, const float *in, size_t n, float *out, const char *name)
{
    double mn = INFINITY, mx = -INFINITY, minpos = INFINITY;
    for (size_t k = 0; k < n; k++) {
        double v = in[k];
        if (!isfinite(v))
            return error_set("%s: pixel %zu is not finite (%g) at the intensity stretch", name ? name : "image", k, v);
        if (v < mn) mn = v;
        if (v > mx) mx = v;
        if (v > 0 && v < minpos) minpos = v;
    }
    if (kind == PREP_STRETCH_LINEAR_MINMAX) {
        double range = mx - mn;
        for (size_t k = 0; k < n; k++) out[k] = range > 0 ? (float)((in[k] - mn) / range) : 0.0f;
        return 0;
    }
    if (!(mx > 0)) { /* no positive value: nothing above I_lo */
        for (size_t k = 0; k < n; k++) out[k] = 0.0f;
        return 0;
    }
    double lo = fmax(minpos, floor_ * mx);
    if (!(mx > lo)) {
        for (size_t k = 0; k < n; k++) out[k] = 0.0f;
        return 0;
    }
    double den = log10(mx / lo);
    for (size_t k = 0; k < n; k++) {
        double v = in[k];
        out[k] = v <= lo ? 0.0f : (float)(log10(v / lo) / den);
    }
    return 0;
}

/* ---- 4. Resize (Pillow BICUBIC, mode F) ---------------------------------------------- */

/* Keys' cubic with a = −0.5, evaluated in the same order of operations as Pillow. */
static double keys_cubic(double x)
{
    const double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

/* Per output index: first tap lo[o], tap count cnt[o], weights wt[o*kmax ...]. Returns kmax. */
static int bicubic_taps(int n_in, int n_out, int **lo_out, int **cnt_out, double **wt_out)
{
    double scale = (double)((float)n_in - 0.0f) / n_out; /* Pillow: box (0, n_in) as floats */
    double fs = scale < 1.0 ? 1.0 : scale;
    double support = 2.0 * fs;
    int kmax = (int)ceil(support) * 2 + 1;
    int *lo = xmalloc((size_t)n_out * sizeof *lo), *cnt = xmalloc((size_t)n_out * sizeof *cnt);
    double *wt = xcalloc((size_t)n_out * kmax, sizeof *wt);
    double inv = 1.0 / fs;
    for (int o = 0; o < n_out; o++) {
        double centre = 0.0 + (o + 0.5) * scale;
        int a = (int)(centre - support + 0.5); /* truncation as Pillow; clipping makes it floor */
        if (a < 0) a = 0;
        int b = (int)(centre + support + 0.5);
        if (b > n_in) b = n_in;
        int m = b - a;
        double *w = wt + (size_t)o * kmax, sum = 0.0;
        for (int t = 0; t < m; t++) {
            w[t] = keys_cubic(((double)(t + a) - centre + 0.5) * inv);
            sum += w[t];
        }
        if (sum != 0.0)
            for (int t = 0; t < m; t++) w[t] /= sum;
        lo[o] = a;
        cnt[o] = m;
    }
    *lo_out = lo;
    *cnt_out = cnt;
    *wt_out = wt;
    return kmax;
}

void prep_resize_bicubic(const float *in, int H, int W, float *out, int h, int w)
{
    int need_h = w != W, need_v = h != H;
    if (!need_h && !need_v) {
        memcpy(out, in, (size_t)H * W * sizeof *out);
        return;
    }
    int *vlo, *vcnt;
    double *vwt;
    int vk = bicubic_taps(H, h, &vlo, &vcnt, &vwt);
    const float *src = in; /* (rows, w) after the horizontal pass */
    float *tmp = NULL;
    int row0 = 0;
    if (need_h) {
        row0 = vlo[0];
        int row1 = vlo[h - 1] + vcnt[h - 1], rows = row1 - row0;
        int *hlo, *hcnt;
        double *hwt;
        int hk = bicubic_taps(W, w, &hlo, &hcnt, &hwt);
        float *dst = need_v ? (tmp = xmalloc((size_t)rows * w * sizeof *tmp)) : out; // (rows, w)
        for (int y = 0; y < rows; y++) {
            const float *line = in + (size_t)(y + row0) * W;
            for (int x = 0; x < w; x++) {
                const double *k = hwt + (size_t)x * hk;
                const float *p = line + hlo[x];
                double s = 0.0;
                for (int t = 0; t < hcnt[x]; t++) s += p[t] * k[t];
                dst[(size_t)y * w + x] = (float)s;
            }
        }
        free(hlo);
        free(hcnt);
        free(hwt);
        src = dst;
    }
    if (need_v) {
        for (int y = 0; y < h; y++) {
            const double *k = vwt + (size_t)y * vk;
            int first = vlo[y] - row0;
            for (int x = 0; x < w; x++) {
                double s = 0.0;
                for (int t = 0; t < vcnt[y]; t++) s += src[(size_t)(first + t) * w + x] * k[t];
                out[(size_t)y * w + x] = (float)s;
            }
        }
    }
    free(tmp);
    free(vlo);
    free(vcnt);
    free(vwt);
}

/* ---- 5, 6. Channels, convention, the whole chain ---------------------------------------- */

void prep_channels(prep_convention conv, const float *in, int h, int w, float *out_nhwc)
{
    static const float caffe_bgr[3] = {103.939f, 116.779f, 123.68f};
    static const float torch_mean[3] = {0.485f, 0.456f, 0.406f}, torch_std[3] = {0.229f, 0.224f, 0.225f};
    size_t n = (size_t)h * w;
    for (size_t k = 0; k < n; k++) {
        float x = in[k];
        float *o = out_nhwc + 3 * k;
        for (int c = 0; c < 3; c++) {
            switch (conv) {
            case PREP_CONV_CAFFE: o[c] = x * 255.0f - caffe_bgr[c]; break; /* channel c is BGR's c-th */
            case PREP_CONV_TORCH: o[c] = (x - torch_mean[c]) / torch_std[c]; break;
            default: o[c] = x; break;
            }
        }
    }
}

/* Size after the geometry steps. */
static void geometry_size(const prep_params *p, int H, int W, int *h, int *w)
{
    int hh = H, ww = W;
    if (p->zoom != 1.0) {
        hh = prep_zoom_size(H, p->zoom);
        ww = prep_zoom_size(W, p->zoom);
    }
    if (p->crop_size > 0) hh = ww = p->crop_size;
    *h = hh;
    *w = ww;
}

void prep_output_size(const prep_params *p, int H, int W, int *h, int *w)
{
    if (p->input_size > 0) {
        *h = *w = p->input_size;
        return;
    }
    geometry_size(p, H, W, h, w);
}

int prep_image_named(const prep_params *p, const char *name, const float *img, int H, int W, float *out_nhwc)
{
    if (!name) name = "image";
    if (H < 1 || W < 1) return error_set("%s: empty image (%d x %d)", name, H, W);
    if (!(p->zoom > 0) || !isfinite(p->zoom)) return error_set("%s: zoom must be positive, not %g", name, p->zoom);
    if (p->crop_size < 0 || p->input_size < 0)
        return error_set("%s: negative crop_size (%d) or input_size (%d)", name, p->crop_size, p->input_size);
    if (p->stretch == PREP_STRETCH_LOG_MINMAX && !(p->log_floor >= 0 && p->log_floor < 1))
        return error_set("%s: log_floor must be in [0, 1), not %g", name, p->log_floor);
    int h = H, w = W;
    float *cur = xmalloc((size_t)H * W * sizeof *cur); // (h, w) through the chain
    memcpy(cur, img, (size_t)H * W * sizeof *cur);
    if (p->rotate_deg != 0.0) {
        float *t = xmalloc((size_t)h * w * sizeof *t);
        prep_rotate(cur, h, w, p->rotate_deg, p->rotate_row, p->rotate_col, t);
        free(cur);
        cur = t;
    }
    double crow = p->crop_row, ccol = p->crop_col;
    if (p->zoom != 1.0) {
        int zh = prep_zoom_size(h, p->zoom), zw = prep_zoom_size(w, p->zoom);
        float *t = xmalloc((size_t)zh * zw * sizeof *t);
        prep_zoom(cur, h, w, t, zh, zw);
        crow = (crow + 0.5) * zh / h - 0.5; /* the same position in the zoomed image */
        ccol = (ccol + 0.5) * zw / w - 0.5;
        free(cur);
        cur = t;
        h = zh;
        w = zw;
    }
    if (p->crop_size > 0) {
        int S = p->crop_size;
        float *t = xmalloc((size_t)S * S * sizeof *t);
        prep_crop(cur, h, w, crow, ccol, S, t);
        free(cur);
        cur = t;
        h = w = S;
    }
    int rc = prep_fill_nearest(cur, h, w, name);
    if (rc == 0) rc = prep_stretch(p->stretch, p->log_floor, cur, (size_t)h * w, cur, name);
    if (rc != 0) {
        free(cur);
        return -1;
    }
    if (p->input_size > 0) {
        int s = p->input_size;
        float *t = xmalloc((size_t)s * s * sizeof *t);
        prep_resize_bicubic(cur, h, w, t, s, s);
        free(cur);
        cur = t;
        h = w = s;
    }
    prep_channels(p->convention, cur, h, w, out_nhwc);
    free(cur);
    return 0;
}

int prep_image(const prep_params *p, const float *img, int H, int W, float *out_nhwc)
{
    return prep_image_named(p, "image", img, H, W, out_nhwc);
}
