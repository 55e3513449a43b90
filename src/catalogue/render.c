#include "catalogue/render.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue/render_packet.h"
#include "core/check.h"
#include "rt/constants.h"
#include "rt/formal.h"
#include "rt/solver.h"

/* A quadtree cell is split while a star's image lies within this many cell sizes of its centre
 * (fewer at deeper levels, whose share of the cusp falls as the cell size^1/2), and its leaves are
 * integrated by 2 x 2 Gauss-Legendre points: the disk's emission near a star falls as R^-3/2, and
 * a face-on disk's flux integral is then met to 3e-6 (the midpoint rule with 1.5 cells: 1e-2). */
#define REFINE_MARGIN 3.0

/* A thread's scratch: the samples of one ray, and the rays of an image row that packets solve
 * (dust_row_packets). */
typedef enum { PASS_SOLVE, PASS_COLLECT, PASS_REPLAY } ray_pass;
typedef struct {
    double *s, *S, *alpha, *vn, *width, *dtau; /* per sample along the ray */
    int cap;
    ray_pass pass;
    double (*P)[3], *I; /* the row's rays: image-plane points, then their intensities */
    int nray, ray_cap, next;
} ray_buf;

static void buf_grow(ray_buf *b, int n)
{
    if (n <= b->cap) return;
    int cap = b->cap ? 2 * b->cap : 1024;
    while (cap < n) cap *= 2;
    /* the samples so far are kept (the buffer grows while a ray is sampled) */
    double *s = xmalloc((size_t)cap * 6 * sizeof *s);
    for (int q = 0; q < 6 && b->cap; q++) memcpy(s + (size_t)q * cap, b->s + (size_t)q * b->cap, (size_t)b->cap * sizeof *s);
    free(b->s);
    b->s = s;
    b->S = b->s + cap, b->alpha = b->S + cap, b->vn = b->alpha + cap, b->width = b->vn + cap, b->dtau = b->width + cap;
    b->cap = cap;
}

static double dot(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

/* The step at x: see STEP_FRACTION and STEP_THICKNESS. */
static double step_at(const binary_params *p, const binary_state *s, const double *x, const double *n, double scale, int line)
{
    double r = sqrt(dot(x, x)), h = STEP_FRACTION * r;
    for (int i = 0; i < 2; i++) {
        double d[3] = {x[0] - s->r[i][0], x[1] - s->r[i][1], x[2] - s->r[i][2]}, di = sqrt(dot(d, d));
        if (STEP_FRACTION * di < h) h = STEP_FRACTION * di;
        if (s->rd[i] <= 0) continue;
        /* z and R as binary.c's disk_density has them (render_packet.c shares them between the two) */
        double z = dot(d, s->J[i]), Rv[3] = {d[0] - z * s->J[i][0], d[1] - z * s->J[i][1], d[2] - z * s->J[i][2]};
        double R = sqrt(dot(Rv, Rv));
        if (R > 3.5 * s->rd[i]) continue;
        if (R < 1e-4 * BIN_AU) R = 1e-4 * BIN_AU;
        double H = p->h100 * R * sqrt(sqrt(R * (1.0 / (100.0 * BIN_AU)))), hd = STEP_THICKNESS * fmax(H, fabs(z));
        /* an optically thick line sees the disk's atmosphere (|z| of several H), where the density
         * falls by e^(z dz / H^2): a quarter of its e-folding length there */
        if (line && fabs(z) > H && fabs(z) < 7.0 * H) hd = fmin(hd, 0.25 * H * H / fabs(z));
        if (hd < h) h = hd;
    }
    /* lines: the cavity walls (smoothed over ~1 degree, binary.c) by a quarter of that width (the
     * dust continuum, optically thin there, converges without it at half the cost) */
    double cw = 0.0175 * sqrt(fmax(1.0 - s->cav_cos * s->cav_cos, 1e-6));
    if (line && r > 0 && p->f_cav < 1.0 && fabs(fabs(dot(x, p->n_orb)) / r - s->cav_cos) < 6.0 * cw) {
        double hw = 0.25 * r * 0.0175;
        if (hw < h) h = hw;
    }
    /* ring and streamers: within the ring's outer edge and near the orbital plane */
    double Z = dot(x, p->n_orb), R = sqrt(fmax(dot(x, x) - Z * Z, 0.0));
    if (R < s->ring_r + 6.0 * s->ring_w && fabs(Z) < 6.0 * s->ring_h) {
        /* the ring's half-thickness and a streamer's width are both 0.5 w: along a ray they are that
         * over |n_z| and over |n_in| (its part in the orbital plane), so the step can grow by
         * 1 / max(|n_z|, |n_in|), up to sqrt 2 (streamer_step_tilt) */
        double hr = STEP_RING * fmax(0.5 * s->ring_w, fabs(Z)) / streamer_step_tilt(p, n);
        if (hr < h) h = hr;
    }
    /* an optically thick line resolves where its tau = 1 surface lies: the dust steps leave 4e-3 of
     * the cube's peak in a B1 view, converging at second order; a quarter of them, 2.5e-4 */
    if (line) h *= LINE_STEP_FACTOR;
    h *= scale;
    return h > STEP_MIN * scale ? h : STEP_MIN * scale;
}

/* Fill the samples of the ray through image-plane point P along n, from the observer's side
 * (index 0) to the far side; returns their count (0: the ray misses the model). */
static int sample_ray(const render_setup *rs, const binary_params *p, const binary_state *s, const cone_view *v,
                      const double *P, double scale, ray_buf *b)
{
    /* |P + t n| = r_out */
    double pn = dot(P, v->n), c = dot(P, P) - p->r_out * p->r_out, disc = pn * pn - c;
    if (disc <= 0) return 0;
    double t1 = -pn + sqrt(disc), t0 = -pn - sqrt(disc);
    int n = 0, have_next = 0;
    double t = t1, kappa_g = rs->kappa0 * pow(rs->freq / rs->nu_ref, rs->beta) / rs->gas_to_dust;
    binary_point q, qn;
    for (;;) {
        buf_grow(b, n + 1);
        double x[3] = {P[0] + t * v->n[0], P[1] + t * v->n[1], P[2] + t * v->n[2]};
        if (have_next) /* the line's velocity check evaluated the model at this very point */
            q = qn;
        else if (rs->mode == RENDER_DUST)
            binary_eval_density(p, s, x, &q);
        else
            binary_eval(p, s, x, &q);
        have_next = 0;
        b->s[n] = t;
        if (rs->mode == RENDER_DUST) {
            b->alpha[n] = kappa_g * q.rho_dust_free;
            b->S[n] = rt_planck(q.T, rs->freq);
        } else {
            double eta, chi, S, width, nh2 = q.rho / (rs->mu_h2 * RT_AMU);
            /* freeze-out below freeze_T, smoothed over ~0.5 K (a step would converge only to first order) */
            double xf = (q.T - rs->freeze_T) / 0.5, f = rs->freeze_out + (1.0 - rs->freeze_out) / (1.0 + exp(-fmax(-50.0, fmin(50.0, xf))));
            double nmol = rs->abundance * nh2 * f;
            rt_line_point_table(rs->line, q.T, rs->v_turb, &eta, &chi, &S, &width);
            b->alpha[n] = nmol * chi / (RT_SQRT_PI * width);
            b->S[n] = S;
            b->width[n] = width;
            b->vn[n] = dot(q.v, v->n);
        }
        n++;
        if (t <= t0) break;
        double h = step_at(p, s, x, v->n, scale, rs->mode == RENDER_LINE);
        if (rs->mode == RENDER_LINE) {
            /* lines: the line-of-sight velocity changes by at most half a Doppler width per step, so the
             * linear shift of the exact erf optical depth holds (a sharper Keplerian gradient halves it) */
            double wv = b->width[n - 1] / rs->line->nu0 * RT_C;
            for (int tries = 0; tries < 30; tries++) {
                double tn = t - h > t0 ? t - h : t0, y[3] = {P[0] + tn * v->n[0], P[1] + tn * v->n[1], P[2] + tn * v->n[2]};
                binary_eval(p, s, y, &qn);
                if (fabs(dot(qn.v, v->n) - b->vn[n - 1]) <= 0.5 * wv * scale || h <= STEP_MIN * scale || tries == 29) {
                    have_next = 1; /* the next sample is y */
                    break;
                }
                h *= 0.5;
            }
        }
        t = t - h > t0 ? t - h : t0;
    }
    return n;
}

/* Intensity of one ray [W m^-2 Hz^-1 sr^-1]: 1 value (dust) or nchan (line). */
static void solve_ray(const render_setup *rs, const binary_params *p, const binary_state *s, const cone_view *v,
                      const double *P, double scale, ray_buf *b, double *I)
{
    int nv = rs->mode == RENDER_DUST ? 1 : rs->nchan;
    int n = sample_ray(rs, p, s, v, P, scale, b);
    if (n < 2) {
        for (int c = 0; c < nv; c++) I[c] = 0.0;
        return;
    }
    if (rs->mode == RENDER_DUST) {
        for (int k = 0; k < n - 1; k++) b->dtau[k] = 0.5 * (b->alpha[k] + b->alpha[k + 1]) * (b->s[k] - b->s[k + 1]);
        I[0] = rt_formal_solution(n, b->dtau, b->S, 0.0);
        return;
    }
    const rt_line *line = rs->line;
    for (int c = 0; c < nv; c++) {
        double nu = line->nu0 * (1.0 - render_channel_velocity(rs, c) / RT_C);
        double b0 = (nu * (1.0 - b->vn[0] / RT_C) - line->nu0) / b->width[0], G0 = exp(-b0 * b0), R0 = erf(b0);
        for (int k = 0; k < n - 1; k++) {
            double h = b->s[k] - b->s[k + 1];
            double b1 = (nu * (1.0 - b->vn[k + 1] / RT_C) - line->nu0) / b->width[k + 1], G1, R1;
            if (fabs(b1) > 6.0 && fabs(b0) > 6.0 && b0 * b1 > 0) {
                /* the channel is > 6 Doppler widths from the line at both ends (the shift is linear in
                 * between): exp(-36) = 2e-16 and erf = +-1 to the last bit, so the step adds nothing */
                G1 = 0.0, R1 = b1 > 0 ? 1.0 : -1.0;
                b->dtau[k] = 0.0;
            } else {
                G1 = exp(-b1 * b1), R1 = erf(b1);
                b->dtau[k] = rt_line_dtau(b->alpha[k] * h, b->alpha[k + 1] * h, b0, b1, G0, G1, R0, R1);
            }
            b0 = b1, G0 = G1, R0 = R1;
        }
        I[c] = rt_formal_solution(n, b->dtau, b->S, 0.0);
    }
}

typedef struct {
    const render_setup *rs;
    const binary_params *p;
    const binary_state *s;
    const cone_view *v;
    double star_row[2], star_col[2], scale, margin;
    int max_depth;
} view_ctx;

/* One ray of cell_mean: solved now (PASS_SOLVE), or recorded for the packets (PASS_COLLECT) and
 * its intensity read back, in the same order, in a second walk (PASS_REPLAY). Dust only. */
static void trace(const view_ctx *c, const double *P, ray_buf *b, double *I)
{
    if (b->pass == PASS_SOLVE) {
        solve_ray(c->rs, c->p, c->s, c->v, P, c->scale, b, I);
    } else if (b->pass == PASS_COLLECT) {
        if (b->nray == b->ray_cap) {
            int cap = b->ray_cap ? 2 * b->ray_cap : 4096;
            double(*P2)[3] = xmalloc((size_t)cap * sizeof *P2), *I2 = xmalloc((size_t)cap * sizeof *I2);
            if (b->nray) memcpy(P2, b->P, (size_t)b->nray * sizeof *P2);
            free(b->P), free(b->I);
            b->P = P2, b->I = I2, b->ray_cap = cap;
        }
        memcpy(b->P[b->nray++], P, sizeof b->P[0]);
        I[0] = 0.0;
    } else {
        I[0] = b->I[b->next++];
    }
}

/* Whether the cell of `size` pixels centred at (row, col) is split (a star's image is near). */
static int near_star(const view_ctx *c, double row, double col, double size, int depth)
{
    /* the margin narrows with depth: a level's share of the cusp falls as its cell size^(1/2) */
    double margin = depth < 4 ? c->margin : depth < 8 ? 0.5 * c->margin : c->margin / 3.0;
    for (int i = 0; i < 2 && depth < c->max_depth; i++) {
        double dr = fabs(c->star_row[i] - row), dc = fabs(c->star_col[i] - col);
        if (dr < margin * size && dc < margin * size) return 1;
    }
    return 0;
}

/* The mean intensity over the cell of `size` pixels centred at (row, col): one ray at its
 * centre, or the mean of its four quarters where a star's image is near (the quadtree). */
static void cell_mean(const view_ctx *c, double row, double col, double size, int depth, ray_buf *b, double *I)
{
    int nv = c->rs->mode == RENDER_DUST ? 1 : c->rs->nchan, split = near_star(c, row, col, size, depth);
    double *sub = xmalloc((size_t)nv * sizeof *sub), q = 0.25 * size;
    if (!split && depth == 0) { /* a pixel away from the stars: n x n rays at the centres of its n x n parts */
        int n = c->rs->supersample > 1 ? c->rs->supersample : 1;
        for (int k = 0; k < nv; k++) I[k] = 0.0;
        for (int a = 0; a < n * n; a++) {
            double P[3];
            cone_unproject(c->v, c->rs->centre, c->rs->pixel, c->rs->height, c->rs->width, row - 0.5 + (a / n + 0.5) / n,
                           col - 0.5 + (a % n + 0.5) / n, P);
            trace(c, P, b, sub);
            for (int k = 0; k < nv; k++) I[k] += sub[k] / (n * n);
        }
        free(sub);
        return;
    }
    if (!split) { /* a leaf near a star: 2 x 2 Gauss-Legendre points (exact to cubics, not the midpoint's lines) */
        double g = 0.5 * size / sqrt(3.0);
        for (int k = 0; k < nv; k++) I[k] = 0.0;
        for (int a = 0; a < 4; a++) {
            double P[3];
            cone_unproject(c->v, c->rs->centre, c->rs->pixel, c->rs->height, c->rs->width, row + (a < 2 ? -g : g),
                           col + (a % 2 ? g : -g), P);
            trace(c, P, b, sub);
            for (int k = 0; k < nv; k++) I[k] += 0.25 * sub[k];
        }
        free(sub);
        return;
    }
    for (int k = 0; k < nv; k++) I[k] = 0.0;
    for (int a = 0; a < 4; a++) {
        cell_mean(c, row + (a < 2 ? -q : q), col + (a % 2 ? q : -q), 0.5 * size, depth + 1, b, sub);
        for (int k = 0; k < nv; k++) I[k] += 0.25 * sub[k];
    }
    free(sub);
}

static void view_setup(view_ctx *c, const render_setup *rs, const binary_params *p, const binary_state *s,
                       const cone_view *v, double scale, int depth)
{
    c->rs = rs, c->p = p, c->s = s, c->v = v, c->scale = scale, c->max_depth = depth;
    c->margin = rs->refine_margin > 0 ? rs->refine_margin : REFINE_MARGIN;
    for (int i = 0; i < 2; i++) {
        cone_project(v, rs->centre, rs->pixel, rs->height, rs->width, s->r[i], &c->star_row[i], &c->star_col[i]);
    }
}

/* Jy per pixel from the mean specific intensity over the pixel */
static double jy_per_pixel(const render_setup *rs) { return 1e26 * (rs->pixel / rs->distance) * (rs->pixel / rs->distance); }

/* One row of a dust image with packets of rays (render_packet.c): cell_mean's walk over the row
 * records its rays, the packets solve them in that order (neighbours share a packet), and a
 * second walk sums their intensities exactly as cell_mean sums its own. */
static void dust_row_packets(const view_ctx *c, int r, double *I, ray_buf *b)
{
    const render_setup *rs = c->rs;
    int pw = render_packet_width();
    double unused;
    b->pass = PASS_COLLECT, b->nray = 0;
    for (int col = 0; col < rs->width; col++) cell_mean(c, r, col, 1.0, 0, b, &unused);
    for (int k = 0; k < b->nray; k += pw) {
        int m = b->nray - k < pw ? b->nray - k : pw;
        render_dust_packet(rs, c->p, c->s, c->v, (const double(*)[3])(b->P + k), m, c->scale, b->I + k);
    }
    b->pass = PASS_REPLAY, b->next = 0;
    for (int col = 0; col < rs->width; col++) cell_mean(c, r, col, 1.0, 0, b, &I[col]);
    b->pass = PASS_SOLVE;
}

void render_view(const render_setup *rs, const binary_params *p, const binary_state *s, const cone_view *v, double *out)
{
    view_ctx c;
    view_setup(&c, rs, p, s, v, rs->step_scale, rs->max_depth);
    int nv = rs->mode == RENDER_DUST ? 1 : rs->nchan, nt = rs->threads > 0 ? rs->threads : omp_get_num_procs();
    int packets = rs->mode == RENDER_DUST && !rs->scalar_rays && render_packet_width() > 0;
    double f = jy_per_pixel(rs);
#pragma omp parallel num_threads(nt)
    {
        ray_buf b = {0};
#pragma omp for schedule(dynamic, 1)
        for (int r = 0; r < rs->height; r++) {
            if (packets) dust_row_packets(&c, r, out + (size_t)r * rs->width, &b);
            for (int col = 0; col < rs->width; col++) {
                double *I = out + ((size_t)r * rs->width + col) * nv;
                if (!packets) cell_mean(&c, r, col, 1.0, 0, &b, I);
                for (int k = 0; k < nv; k++) I[k] *= f;
            }
        }
        free(b.s);
        free(b.P);
        free(b.I);
    }
}

void render_view_reference(const render_setup *rs, const binary_params *p, const binary_state *s, const cone_view *v,
                           double *out)
{
    view_ctx c;
    view_setup(&c, rs, p, s, v, 0.25 * rs->step_scale, rs->max_depth + 2);
    int nv = rs->mode == RENDER_DUST ? 1 : rs->nchan;
    double f = jy_per_pixel(rs);
    ray_buf b = {0};
    for (int r = 0; r < rs->height; r++)
        for (int col = 0; col < rs->width; col++) {
            double *I = out + ((size_t)r * rs->width + col) * nv;
            cell_mean(&c, r, col, 1.0, 0, &b, I);
            for (int k = 0; k < nv; k++) I[k] *= f;
        }
    free(b.s);
}

double render_channel_velocity(const render_setup *rs, int c)
{
    return rs->nchan > 1 ? -rs->vrange + 2.0 * rs->vrange * c / (rs->nchan - 1) : 0.0;
}

void render_moments(const render_setup *rs, const double *cube, double noise, double mask_sigma, double *mom0,
                    double *mom1)
{
    int nc = rs->nchan;
    double dv = nc > 1 ? 2.0 * rs->vrange / (nc - 1) / 1e3 : 1.0; /* km/s */
    double thr = mask_sigma * noise * dv * sqrt((double)nc);
    for (size_t px = 0; px < (size_t)rs->height * rs->width; px++) {
        const double *I = cube + px * nc;
        double m0 = 0.0, m1 = 0.0;
        for (int c = 0; c < nc; c++) {
            m0 += I[c] * dv;
            m1 += I[c] * dv * render_channel_velocity(rs, c) / 1e3;
        }
        if (mom0) mom0[px] = m0;
        mom1[px] = m0 > thr && m0 > 0 ? m1 / m0 : NAN;
    }
}
