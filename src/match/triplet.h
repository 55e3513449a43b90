/**
 * @file triplet.h
 * @brief Triplet labelling and loss of spec/analogues.md §8.2-8.3 (oracle /triplet_example).
 */
#ifndef SYNOBS_MATCH_TRIPLET_H
#define SYNOBS_MATCH_TRIPLET_H

#include <stddef.h>

/** Eq. 6: g = |qa - qj|/(qa + qj), and [choice] 0 when qa + qj = 0 (dsize = 0 on both). */
double match_triplet_g(double qa, double qj);

/**
 * @brief Eq. 7: Score = sum_i g(q_ia, q_i2) - g(q_ia, q_i3) over the k metadata components.
 * @param q1 (k) anchor, q2 (k), q3 (k) the other members
 * @param g (2, k) g(a, 2) and g(a, 3) per component, or NULL
 */
double match_triplet_score(const double *q1, const double *q2, const double *q3, size_t k, double *g);

/**
 * @brief The prose rule (lower summed g = positive): Score > 0 -> (p, n) = (3, 2), Score < 0 ->
 * (2, 3), Score = 0 exactly -> (0, 0), resample.
 * @return 0, or -1 for a triplet to resample
 */
int match_triplet_label(double score, int *p, int *n);

/**
 * @brief Eqs 9-10 softmax loss on L1 distances: P(p) = sigma(d_ap - d_an), P(n) = 1 - P(p),
 * Loss = P(p) + (1 - P(n)) = 2 sigma(d_ap - d_an), with the logistic sigma evaluated stably.
 * @param P_p, P_n may be NULL (P_n is sigma(d_an - d_ap), not 1 - P_p, so it keeps its digits)
 * @return the loss
 */
double match_triplet_loss(double d_ap, double d_an, double *P_p, double *P_n);

/**
 * @brief Loss and its gradient w.r.t. the three outputs: d_ap = |fa - fp|_1, d_an = |fa - fn|_1,
 * dLoss/dd_ap = 2 sigma(1 - sigma) = -dLoss/dd_an, d|x|_1/dx = sign(x) (0 at 0).
 * @param fa, fp, fn (dim) outputs; ga, gp, gn (dim) gradients (overwritten)
 * @param d_ap, d_an the distances (may be NULL)
 * @return the loss
 */
double match_triplet_loss_grad(const double *fa, const double *fp, const double *fn, size_t dim, double *ga,
                               double *gp, double *gn, double *d_ap, double *d_an);

#endif
