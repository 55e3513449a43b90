/**
 * @file wind.c
 * @brief An AGB wind shaped by a companion (after the hydrodynamic models behind COEmuNet:
 * Maes et al. 2021, Malfait et al. 2021, and the spiral analysis of Kim & Taam 2012).
 *
 * - Wind speed, a beta law: v(r) = v_inf (1 - R_star/r)^beta, radial, r clamped to >= 2 R_star
 *   (the dust-formation zone where the wind is launched; the grid does not resolve the star).
 * - Density from mass conservation, rho = Mdot / (4 pi r^2 v(r)); n_H2 = rho / (2.8 u),
 *   n_CO = x_co n_H2.
 * - The companion's orbital reflex imprints an Archimedean spiral: gas at radius r left the
 *   star a time r / v_inf ago, when the companion was at true anomaly theta(t_launch); the arm is
 *   where the azimuth matches that angle. With eccentricity e, theta follows Kepler's equation,
 *   so the arm spacing v_inf P is modulated along the orbit. Overdensity
 *   1 + contrast exp(-d^2 / 2 w^2), d the azimuthal distance to the arm in units of the arm
 *   spacing, w = spiral_width, fading away from the orbital plane as exp(-(z/r)^2 / 0.5).
 * - Equatorial density enhancement: 1 + ede_contrast exp(-(z/r)^2 / ede_height^2).
 * - Temperature: a power law T = t_star (R_star / r)^t_slope, floored at t_floor (20 K in
 *   COEmuNet's data: its statistics have min ln T = ln 20).
 * Ranges are documented with the parameters of `synobs generate` (stages/generate.c).
 */
#include "rt/wind.h"

#include <math.h>
#include <stddef.h>

#include "rt/constants.h"

#define MSUN 1.98847e30
#define YEAR 3.15576e7
#define AU 1.495978707e11
#define R_STAR 2.0e11 /* ~290 R_sun, a typical AGB star [m] */

const char *const wind_param_names[WIND_NPARAM] = {
    "mdot [Msun/yr]", "v_inf [m/s]", "beta", "period [yr]", "separation [AU]", "eccentricity", "spiral_contrast",
    "spiral_width [arm spacings]", "ede_contrast", "ede_height", "t_star [K]", "t_slope", "x_co", "v_turb [m/s]",
    "phase [rad]"};

/* fields drawn log-uniformly: they span decades */
static const int log_drawn[WIND_NPARAM] = {1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0};

void wind_draw(const wind_ranges *rg, rng *r, wind_params *p)
{
    double *v = (double *)p;
    for (int i = 0; i < WIND_NPARAM; i++) {
        double u = rng_uniform(r), lo = rg->lo[i], hi = rg->hi[i];
        v[i] = log_drawn[i] && lo > 0 ? exp(log(lo) + u * (log(hi) - log(lo))) : lo + u * (hi - lo);
    }
    if (rng_uniform(r) >= rg->ede_probability) p->ede_contrast = 0.0;
}

/** True anomaly at mean anomaly M (Kepler's equation by Newton; e < 1). */
static double true_anomaly(double M, double e)
{
    double E = M;
    for (int i = 0; i < 30; i++) {
        double d = (E - e * sin(E) - M) / (1.0 - e * cos(E));
        E -= d;
        if (fabs(d) < 1e-14) break;
    }
    return 2.0 * atan2(sqrt(1.0 + e) * sin(0.5 * E), sqrt(1.0 - e) * cos(0.5 * E));
}

void wind_fill(const wind_params *p, int G, double pitch, double t_floor, double *vx, double *vy, double *vz,
               double *T, double *n)
{
    const double mdot = p->mdot * MSUN / YEAR, period = p->period * YEAR;
    const double r_in = fmax(2.0 * R_STAR, p->separation * AU * 0.5), c = 0.5 * G;
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++)
            for (int k = 0; k < G; k++) {
                size_t q = ((size_t)i * G + j) * G + k;
                double x = (i + 0.5 - c) * pitch, y = (j + 0.5 - c) * pitch, z = (k + 0.5 - c) * pitch;
                double r0 = sqrt(x * x + y * y + z * z), r = fmax(r0, r_in);
                double v = p->v_inf * pow(1.0 - R_STAR / r, p->beta);
                double rho = mdot / (4.0 * RT_PI * r * r * v);
                /* the spiral: launch time r / v_inf ago -> companion's azimuth then */
                double M = p->phase - 2.0 * RT_PI * (r / p->v_inf) / period;
                double theta = true_anomaly(fmod(M, 2.0 * RT_PI), p->eccentricity);
                double dphi = remainder(atan2(y, x) - theta, 2.0 * RT_PI);
                double d = dphi / (2.0 * RT_PI); /* azimuthal distance to the arm, in arm spacings */
                double mu = r0 > 0 ? z / r0 : 0.0;
                rho *= 1.0 + p->spiral_contrast * exp(-0.5 * d * d / (p->spiral_width * p->spiral_width)) *
                                 exp(-mu * mu / 0.5);
                rho *= 1.0 + p->ede_contrast * exp(-mu * mu / (p->ede_height * p->ede_height));
                n[q] = p->x_co * rho / (2.8 * RT_AMU);
                double s = r0 > 0 ? v / r0 : 0.0;
                vx[q] = s * x, vy[q] = s * y, vz[q] = s * z;
                T[q] = fmax(p->t_star * pow(R_STAR / r, p->t_slope), t_floor);
            }
}
