/**
 * @file bench_coemunet.c
 * @brief Training samples/s and inference ms/sample of synobs' COEmuNet on the oneDNN backend.
 * usage: bench_coemunet GRID BATCH STEPS [profile]   (threads from OMP_NUM_THREADS)
 * Prints one line `synobs grid G batch B train_samples_per_s X infer_ms_per_sample Y`; the
 * comparison with PyTorch is validation/bench_coemunet.py. With `profile`, also the time per op
 * of a training step and of an inference forward.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/rng.h"
#include "nn/adam.h"
#include "nn/coemunet.h"
#include "nn/loss.h"

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    log_init(0, 1, true);
    int G = argc > 1 ? atoi(argv[1]) : 32, B = argc > 2 ? atoi(argv[2]) : 8, steps = argc > 3 ? atoi(argv[3]) : 5;
    bool profile = argc > 4 && strcmp(argv[4], "profile") == 0;
    nn_profile train_prof = {0}, infer_prof = {0};
    nn_graph g;
    nn_graph_init(&g, NN_BACKEND_DNNL);
    coemunet_config cfg = {G, 7, false, true};
    if (coemunet_build(&g, &cfg) != 0) {
        fprintf(stderr, "bench_coemunet: %s\n", error_message());
        return 2;
    }
    nn_graph_finalize(&g);
    nn_graph_init_params(&g, 1);
    nn_graph_set_batch(&g, B);
    size_t nin = (size_t)B * 3 * G * G * G, nout = (size_t)B * 7 * G * G;
    float *x = xmalloc(nin * sizeof *x), *y = xmalloc(nout * sizeof *y), *dy = xmalloc(nout * sizeof *dy);
    rng r;
    rng_seed(&r, 2, 0);
    for (size_t i = 0; i < nin; i++) x[i] = (float)rng_normal(&r);
    for (size_t i = 0; i < nout; i++) y[i] = (float)rng_uniform(&r);
    nn_loss loss;
    nn_loss_init(&loss, B * 7, G, G, 0.8);
    nn_adam adam;
    nn_adam_init(&adam, g.nparams, 1e-4, 0.9, 0.999, 1e-8, 0);
    double t_train = 0, t_infer = 0;
    for (int s = -1; s < steps; s++) {   /* step −1 warms up (primitive creation) */
        g.profile = profile && s >= 0 ? &train_prof : NULL;
        double t0 = clock_now();
        const float *out = nn_forward(&g, x, true);
        nn_loss_eval(&loss, out, y, dy);
        nn_backward(&g, dy);
        nn_adam_step(&adam, g.params, g.grads);
        if (s >= 0) t_train += clock_now() - t0;
    }
    nn_graph_fold_bn(&g); /* as evaluate and emulate do once per loaded model */
    for (int s = -1; s < steps; s++) {
        g.profile = profile && s >= 0 ? &infer_prof : NULL;
        double t0 = clock_now();
        nn_forward(&g, x, false);
        if (s >= 0) t_infer += clock_now() - t0;
    }
    printf("synobs grid %d batch %d train_samples_per_s %.3f infer_ms_per_sample %.3f\n", G, B, steps * B / t_train,
           1e3 * t_infer / (steps * B));
    if (profile && steps > 0) {
        printf("per training step:\n");
        nn_profile_print(&train_prof, steps);
        printf("per inference forward:\n");
        nn_profile_print(&infer_prof, steps);
    }
    nn_adam_free(&adam);
    nn_loss_free(&loss);
    nn_graph_free(&g);
    MPI_Finalize();
    return 0;
}
