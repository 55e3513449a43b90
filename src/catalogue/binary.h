/**
 * @file binary.h
 * @brief A forming binary protostar as a closed-form, time-dependent model (spec catalogue.md 1):
 * two accreting stars on an eccentric Kepler orbit whose period follows the growing mass, their
 * tidally truncated, misaligned and precessing disks, a rotating infalling envelope with outflow
 * cavities, a circumbinary ring with two streamers, and the temperature and velocity fields.
 * See binary.c for the equations and their sources.
 *
 * Any snapshot is computed from the parameters and t alone (no time stepping), so the ranks of a
 * catalogue make their snapshots independently and agree to the bit. SI units throughout; the
 * parameter files speak AU, Msun, yr and kyr (stages/catalogue.c converts).
 */
#ifndef SYNOBS_CATALOGUE_BINARY_H
#define SYNOBS_CATALOGUE_BINARY_H

#include "core/rng.h"

#define BIN_AU 1.495978707e11    /**< [m] */
#define BIN_MSUN 1.98847e30      /**< [kg] */
#define BIN_YR 3.15576e7         /**< Julian year [s] */
#define BIN_KYR (1e3 * BIN_YR)
#define BIN_LSUN 3.828e26        /**< nominal solar luminosity [W] */
#define BIN_RSUN 6.957e8         /**< nominal solar radius [m] */
#define BIN_G 6.67430e-11        /**< [m^3 kg^-1 s^-2] */
#define BIN_PI 3.14159265358979323846

/** The model's outer radius with its surface: a ray starts and ends on the sphere r = r_out, where
 * rounding puts its end points an ulp or two either side; 1e-12 of r_out keeps them inside in
 * the scalar and the vector paths alike (the envelope is cut there). */
#define BIN_R_EDGE(p) ((p)->r_out * (1.0 + 1e-12))

/** The ring's and the streamers' Gaussians are zero beyond e^-36.8 = 1e-16 of their peak. */
#define BIN_RING_CUT 36.8

/** Everything that defines one system; SI. Filled by binary_preset / binary_draw, then binary_init. */
typedef struct {
    char name[32];
    /* stars, accretion (catalogue.md 1: Mdot_i = Mdot_i0 (1 + t_i/tau_acc)^-p B(phase)) */
    double t_end, m_end[2], m_form, t2_form;
    double tau_acc, p_acc, burst_amp, burst_width; /**< burst width in orbits */
    double r_acc, l_phot;                          /**< accretion radius [m], photospheric luminosity [W] */
    /* orbit */
    double n_periods, ecc;
    double n_orb[3], p_orb[3]; /**< orbit normal and periastron direction (unit, orthogonal) */
    /* disks */
    double f_disk, f_trunc, tau_disk, h100;
    double misalign[2], prec_orbits, prec_phase0[2];
    /* envelope, cavities */
    double mdot_env0, t_env, r_c, cav_theta0, cav_rate, cav_max, f_cav;
    /* circumbinary ring, streamers (ring radius and width in units of a) */
    double ring_radius, ring_width, ring_mass, streamer_density, streamer_pitch;
    /* temperature [K], dust sublimation, outer radius */
    double t100, t_floor, t_sub, r_out;
    /* derived by binary_init */
    double a;          /**< semi-major axis [m], from the period count */
    double mdot0[2];   /**< accretion normalisation [kg/s] */
    int npanel;        /**< accretion-integral table (binary.c) */
    double panel;      /**< panel width [s] */
    double *tab;       /**< (npanel + 1) x 3: J (orbit clock), I_1, I_2 at panel edges */
} binary_params;

/** The state of a system at one time (everything a snapshot's metadata and images need). SI. */
typedef struct {
    double t, t_i[2];            /**< age of the primary; ages of both stars (t_2 < 0: not formed) */
    double m[2], m_sec[2];       /**< masses; the secular masses that set the orbit */
    double mdot[2], lum[2];      /**< accretion rates [kg/s], luminosities [W] */
    double phase;                /**< orbital phase in orbits since the first periastron (integer = periastron) */
    double r[2][3], v[2][3];     /**< star positions and velocities about the barycentre */
    double sep;                  /**< |r2 - r1| */
    double rd[2], md[2];         /**< disk radii (0: no disk) and masses */
    double J[2][3];              /**< disk normals (unit) */
    double sigma0[2];            /**< disk surface-density scale (binary.c) */
    double mdot_env, rho_env0;   /**< envelope infall rate, rho_env = rho_env0 r^-1.5 */
    double cav_cos;              /**< cos of the cavity half-angle */
    double cav_wall;             /**< the cavity wall's width in cos (about 1 degree) */
    double ring_r, ring_w, ring_h, ring_rho; /**< ring radius, width, half-thickness, peak density */
    double spin_angle;           /**< azimuth of the separation vector in the orbital plane (streamer frame) */
    double q_orb[3];             /**< n_orb x p_orb */
} binary_state;

/** Gas density, temperature and velocity at a point, and which component dominates there. */
typedef struct {
    double rho, rho_dust_free; /**< gas density [kg m^-3]; rho where dust survives (T < T_sub), else 0 */
    double T;
    double v[3];
    int component;             /**< 0 none, 1/2 disk of star 1/2, 3 envelope, 4 ring, 5 streamer */
} binary_point;

enum { BINARY_NPRESET = 3 };
extern const char *const binary_preset_names[BINARY_NPRESET];

/** Defaults of catalogue.md 1.1 for every parameter (a preset overrides its own ones). */
void binary_defaults(binary_params *p);
/**
 * @brief Preset `name` (B1, B2, B3; Table 1 of the paper) on top of the values in p, with the
 * orientation angles drawn from r. 0, or -1 with the error set for an unknown name.
 */
int binary_preset(binary_params *p, const char *name, rng *r);
/** Ranges for systems = random:N (catalogue.md 1.1); lo == hi fixes a value. */
typedef struct {
    double m1[2], q[2], t_end[2], periods[2], ecc[2], tau_acc[2], p_acc[2], burst_amp[2], burst_width[2];
    double f_disk[2], f_trunc[2], tau_disk[2], h100[2], misalign[2], prec_orbits[2], mdot_env[2], t_env[2];
    double r_c[2], ring_radius[2], ring_width[2], ring_mass[2], streamer_density[2], streamer_pitch[2];
} binary_ranges;
void binary_draw(binary_params *p, const binary_ranges *rg, rng *r);

/**
 * @brief Derived quantities: the semi-major axis from the period count and the accretion
 * normalisation (tables). 0, or -1 with the error set (a parameter out of its physical range).
 */
int binary_init(binary_params *p);
/** The checks and the semi-major axis alone (to 1e-9, from 512 panels; binary_init refines it):
 * what a catalogue needs of every system before a rank builds the tables of its own ones. */
int binary_init_orbit(binary_params *p);
void binary_free(binary_params *p);

/** The state at primary age t [s] (t >= t2_form for both stars). */
void binary_state_at(const binary_params *p, double t, binary_state *s);
/** Density, temperature and velocity at x [m] (barycentric). */
void binary_eval(const binary_params *p, const binary_state *s, const double x[3], binary_point *out);
/** The same without the velocity (out->v is zero): what the dust continuum needs. */
void binary_eval_density(const binary_params *p, const binary_state *s, const double x[3], binary_point *out);
/** Temperature alone (the heating of both stars, floored). */
double binary_temperature(const binary_params *p, const binary_state *s, const double x[3]);

/** Eggleton (1983) Roche-lobe radius over the separation, for mass ratio q = M_i / M_other. */
double binary_roche_fraction(double q);
/** Mean motion-based period [s] at the secular masses of time t. */
double binary_period(const binary_params *p, double t);
/** Gas mass [kg] within `radius` [m] of star `i` (0 or 1), by quadrature (relative accuracy <= 1e-4). */
double binary_gas_mass_within(const binary_params *p, const binary_state *s, int i, double radius);
/** Snapshot times of a system for cadence dt [s]: t_end - k dt >= t2_form, ascending; returns the count, fills t if non-NULL. */
long binary_snapshots(const binary_params *p, double dt, double *t);

#endif
