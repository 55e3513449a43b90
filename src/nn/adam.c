/**
 * @file adam.c
 * @brief Adam and StepLR (see adam.h). The operations and their float32 rounding follow
 * PyTorch's single-tensor Adam, so the golden comparison after several steps stays tight.
 */
#include "nn/adam.h"

#include <math.h>
#include <stdlib.h>

#include "core/check.h"

void nn_adam_init(nn_adam *a, size_t n, double lr, double beta1, double beta2, double eps, double weight_decay)
{
    *a = (nn_adam){lr, beta1, beta2, eps, weight_decay, 0, n, NULL, NULL};
    a->m = xcalloc(n, sizeof *a->m);
    a->v = xcalloc(n, sizeof *a->v);
}

void nn_adam_free(nn_adam *a)
{
    free(a->m);
    free(a->v);
    a->m = a->v = NULL;
}

void nn_adam_step(nn_adam *a, float *params, const float *grads)
{
    a->step++;
    const float b1 = (float)a->beta1, b2 = (float)a->beta2, wd = (float)a->weight_decay, eps = (float)a->eps;
    const double bc1 = 1.0 - pow(a->beta1, (double)a->step), bc2 = 1.0 - pow(a->beta2, (double)a->step);
    const float step_size = (float)(a->lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    float *m = a->m, *v = a->v;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < a->n; i++) {
        float g = grads[i];
        if (wd != 0.0f) g = g + wd * params[i];
        m[i] = m[i] * b1 + g * (1.0f - b1);
        v[i] = v[i] * b2 + (1.0f - b2) * g * g;
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        params[i] = params[i] - step_size * (m[i] / denom);
    }
}

double nn_step_lr(double base, int64_t epoch, int64_t step_size, double gamma)
{
    if (step_size <= 0) return base;
    return base * pow(gamma, (double)(epoch / step_size));
}
