/**
 * @file cone.h
 * @brief Observers on the cone that reproduces a target projected separation, and the image
 * plane each one sees (spec analogues.md 2.2).
 *
 * With s = r2 - r1, d = |s|: observer k looks from n_k = cos(a) s^ + sin(a) (cos(phi_k) e1 + sin(phi_k) e2),
 * sin(a) = p/d, phi_k = (k - 1) 2 pi / K; e1 is the box z-axis projected on the plane normal to s^
 * (the x-axis when s^ is along z), e2 = s^ x e1. d < p has no solution: a = pi/2 and exact = 0.
 * Up u = -(s - (s.n) n)/|...| puts the primary exactly above the secondary; right x = u x n.
 * Pixel row 0 is the top, column 0 the left; the image centre is a point of the model (the
 * binary's midpoint by default), at pixel ((W-1)/2, (H-1)/2).
 */
#ifndef SYNOBS_CATALOGUE_CONE_H
#define SYNOBS_CATALOGUE_CONE_H

typedef struct {
    double n[3];     /**< unit vector from the system towards the observer */
    double u[3];     /**< image up */
    double x[3];     /**< image right */
    double phi;      /**< azimuth on the cone [rad] */
    double proj_sep; /**< projected separation seen [same unit as the positions] */
    int exact;       /**< 0 where d < p (the flagged edge-on view) */
} cone_view;

/** The K observers of a pair of positions r1 (primary), r2, for target projected separation p. */
void cone_views(const double r1[3], const double r2[3], double p, int K, cone_view *out);

/** Pixel coordinates (row, col; pixel centres at integers) of point x for an image of H x W
 * pixels of size `pixel` centred on `centre`. */
void cone_project(const cone_view *v, const double centre[3], double pixel, int H, int W, const double x[3], double *row,
                  double *col);

/** The point of the image plane through `centre` at pixel coordinates (row, col). */
void cone_unproject(const cone_view *v, const double centre[3], double pixel, int H, int W, double row, double col,
                    double x[3]);

#endif
