/**
 * @file formal.h
 * @brief The arithmetic of one step along a ray, written once for the three solvers: the scalar
 * reference (solver.c), the vectorised one (solver_fast.c, on vectors of lanes) and the CUDA one
 * (cuda/rt_solver.cu). The macros take doubles or vectors of doubles alike; operand order and
 * rounding are those of spec 8 and 9, so the three agree to the last bits their exp/erf allow.
 */
#ifndef SYNOBS_RT_FORMAL_H
#define SYNOBS_RT_FORMAL_H

#include <math.h>

#include "rt/constants.h"

/* Spec 8.1/8.2: the optical depth between two points with opacity a and shift b linear in
 * between, G = exp(-b^2), R = erf(b): a first-order form where the shift hardly changes ... */
#define RT_DTAU_SHIFT_SMALL 1e-4
#define RT_DTAU_SMALL(a0, a1, b0, db, G0) (0.5 * ((a0) + (a1)) * (G0) - (1.0 / 3.0) * (((a0) + (a1)) + (a1)) * ((G0) * (b0) * (db)))
/* ... and the exact integral elsewhere */
#define RT_DTAU_EXACT(a0, a1, b0, b1, db, G0, G1, R0, R1)                                                       \
    ((((a1) - (a0)) * ((G0) - (G1)) + ((RT_SQRT_PI * (a1)) * (b0) - (RT_SQRT_PI * (a0)) * (b1)) * ((R0) - (R1))) * \
     (0.5 / ((db) * (db) + 1e-30)))

/* Spec 9: the intensity a step of optical depth d adds, S linear in tau, e0 = exp(-tau_k) and
 * e1 = exp(-tau_k+1) from the cumulative tau. Three forms by d:
 *  - d < RT_THIN_DTAU: spec 9.2, exactly as Pomme codes it (sign-swapped coefficients, built
 *    incrementally; spec 9.3 explains why they are kept);
 *  - d < RT_SERIES_DTAU: spec 9.1's weights, near (e^-d - 1 + d)/d and far (1 - e^-d (1 + d))/d
 *    times e0, as their Taylor series to d^6 (exact to 1e-16 here). The closed form loses about
 *    2^-52 / d^2 of its value to cancellation (4e-8 at d = 1e-4: the 1e-9-level errors of the
 *    analytic cases of spec 16.1);
 *  - otherwise the closed form, whose loss has fallen below 4e-12. */
#define RT_THIN_DTAU 1e-4
#define RT_SERIES_DTAU 1e-2
#define RT_STEP_THIN(T, d, S0, S1, e0, e1, out)      \
    do {                                             \
        T c_ = 0.5 * (d), f0_ = c_, f1_ = c_;        \
        c_ = c_ * ((1.0 / 3.0) * (d));               \
        f0_ += c_;                                   \
        f1_ -= c_;                                   \
        c_ = c_ * (0.25 * (d));                      \
        f0_ += c_;                                   \
        f1_ -= c_;                                   \
        (out) = (S0) * (e0) * f0_ + (S1) * (e1) * f1_; \
    } while (0)
#define RT_WEIGHT_NEAR(d) \
    ((d) * (1.0 / 2 + (d) * (-1.0 / 6 + (d) * (1.0 / 24 + (d) * (-1.0 / 120 + (d) * (1.0 / 720 + (d) * (-1.0 / 5040)))))))
#define RT_WEIGHT_FAR(d) \
    ((d) * (1.0 / 2 + (d) * (-1.0 / 3 + (d) * (1.0 / 8 + (d) * (-1.0 / 30 + (d) * (1.0 / 144 + (d) * (-1.0 / 840)))))))
#define RT_STEP_SERIES(d, S0, S1, e0) ((e0) * ((S0) * RT_WEIGHT_NEAR(d) + (S1) * RT_WEIGHT_FAR(d)))
#define RT_STEP_CLOSED(d, S0, S1, e0, e1) \
    (((S0) * ((e1) - (e0) * (1.0 - (d))) + (S1) * ((e0) - (e1) * (1.0 + (d)))) / ((d) + 1e-30))

#ifdef __CUDACC__
#define RT_HOST_DEVICE __host__ __device__
#else
#define RT_HOST_DEVICE
#endif

/** One step's optical depth (scalar). */
static inline RT_HOST_DEVICE double rt_line_dtau(double a0, double a1, double b0, double b1, double G0, double G1,
                                                 double R0, double R1)
{
    double db = b1 - b0;
    return fabs(db) < RT_DTAU_SHIFT_SMALL ? RT_DTAU_SMALL(a0, a1, b0, db, G0)
                                          : RT_DTAU_EXACT(a0, a1, b0, b1, db, G0, G1, R0, R1);
}

/** One step's intensity (scalar). */
static inline RT_HOST_DEVICE double rt_formal_step(double d, double S0, double S1, double e0, double e1)
{
    double out;
    if (d < RT_THIN_DTAU) RT_STEP_THIN(double, d, S0, S1, e0, e1, out);
    else if (d < RT_SERIES_DTAU) out = RT_STEP_SERIES(d, S0, S1, e0);
    else out = RT_STEP_CLOSED(d, S0, S1, e0, e1);
    return out;
}

#endif
