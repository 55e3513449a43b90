/**
 * @file solver.h
 * @brief The LTE line formal solver with the numerics of Pomme (spec rt-solver.md 6-11), and a
 * dust-continuum mode on the same formal solution (15).
 *
 * A model is (nx, ny, nz) cubes in C order [x][y][z]; z is the line of sight, the observer sits
 * at z-index 0 and the boundary intensity enters at nz-1. Pixel (x, y) is the ray along column
 * [x][y][:]; the image is I[x][y][f] [W m^-2 Hz^-1 sr^-1], double, unclamped.
 *
 * Two implementations of one column: rt_column_reference (plain scalar C, spec 17 line by line,
 * glibc exp/erf) and the vectorised rt_column_fast (SLEEF exp/erf along z; same operation order,
 * the same sequential sums, W columns per call). rt_image runs the fast one on threads.
 */
#ifndef SYNOBS_RT_SOLVER_H
#define SYNOBS_RT_SOLVER_H

#include <stddef.h>

#include "rt/formal.h"

#include "rt/line.h"

typedef enum { RT_BOUNDARY_ZERO, RT_BOUNDARY_CMB } rt_boundary;
typedef enum { RT_MODE_LINE, RT_MODE_DUST } rt_mode;

/** Dust opacity kappa = kappa0 (nu/nu_ref)^beta per unit gas mass; rho = mu_H2 u n_CO / X_CO. */
typedef struct {
    double kappa0;  /**< [m^2 kg^-1] at nu_ref */
    double nu_ref;  /**< [Hz] */
    double beta;
    double x_co;    /**< n_CO / n_H2 */
    double mu_h2;   /**< mean mass per H2 molecule [u] */
} rt_dust;

typedef struct {
    rt_mode mode;
    const rt_line *line;     /**< line mode */
    rt_dust dust;            /**< dust mode */
    int nfreq;
    const double *freq;      /**< (nfreq) observer-frame frequencies [Hz] */
    double dx;               /**< cell size along z [m] */
    double v_turb;           /**< microturbulence [m/s], used when v_turb_field is NULL */
    const double *v_turb_field; /**< optional (nx,ny,nz) [m/s] */
    rt_boundary boundary;
} rt_setup;

/**
 * @brief Check a model before solving: nz >= 2, T > 0, n >= 0, v_turb >= 0, all finite.
 * @return 0, or -1 with error_message() naming the quantity and the cell [x][y][z].
 */
int rt_check_model(int nx, int ny, int nz, const double *vz, const double *T, const double *n,
                   const double *v_turb_field);

/** Boundary intensity per channel (zero or B_nu(T_CMB, nu_f)). */
void rt_boundary_intensity(const rt_setup *s, double *ibdy);

/** Image of the whole model with `threads` threads (<= 0: all cores). I is (nx, ny, nfreq). */
void rt_image(const rt_setup *s, int nx, int ny, int nz, const double *vz, const double *T, const double *n,
              double *I, int threads);
/** The same with the plain reference column, one thread (for tests and benchmarks). */
void rt_image_reference(const rt_setup *s, int nx, int ny, int nz, const double *vz, const double *T,
                        const double *n, double *I);

/** One column (nz points) -> I[nfreq]; vt is the column's v_turb or NULL. */
void rt_column_reference(const rt_setup *s, int nz, const double *vz, const double *T, const double *n,
                         const double *vt, const double *ibdy, double *I);

/** Lanes of the fast column kernel in this build (8: AVX-512, 4: AVX2, 0: none, reference used). */
int rt_fast_width(void);
/** Workspace of the fast kernel for columns of nz points. */
typedef struct rt_work rt_work;
rt_work *rt_work_new(int nz);
void rt_work_free(rt_work *w);
/** Columns per call of rt_columns_fast (the vector width, or 1 without one). */
int rt_fast_block(void);
/**
 * @brief ncols (<= rt_fast_block()) consecutive columns of nz points (column c at offset c*nz of
 * each array; vt may be NULL) -> I (ncols, nfreq).
 */
void rt_columns_fast(const rt_setup *s, rt_work *w, int ncols, int nz, const double *vz, const double *T,
                     const double *n, const double *vt, const double *ibdy, double *I);

/** The fast kernel's vector exp on n values (for its accuracy test; glibc's exp without a vector unit). */
void rt_fast_exp(const double *x, double *y, size_t n);

/** Linear-source formal solution of one ray (spec 9): dtau (nz-1), S (nz), returns I. */
double rt_formal_solution(int nz, const double *dtau, const double *S, double ibdy);

#endif
