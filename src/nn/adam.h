/**
 * @file adam.h
 * @brief Adam with L2 weight decay and StepLR, as PyTorch's torch.optim.Adam (1.13, the
 * single-tensor path) and torch.optim.lr_scheduler.StepLR, over one contiguous parameter buffer.
 */
#ifndef SYNOBS_NN_ADAM_H
#define SYNOBS_NN_ADAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double lr, beta1, beta2, eps, weight_decay;
    int64_t step;
    size_t n;
    float *m, *v;   /**< first and second moments (exp_avg, exp_avg_sq) */
} nn_adam;

void nn_adam_init(nn_adam *a, size_t n, double lr, double beta1, double beta2, double eps, double weight_decay);
void nn_adam_free(nn_adam *a);
/** One step: params -= lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε), with g += wd·params first. */
void nn_adam_step(nn_adam *a, float *params, const float *grads);
/** StepLR: base · gamma^⌊epoch / step_size⌋ (step_size ≤ 0: constant). */
double nn_step_lr(double base, int64_t epoch, int64_t step_size, double gamma);

#endif
