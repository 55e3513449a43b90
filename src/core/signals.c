/**
 * @file signals.c
 * @brief SIGUSR1/SIGTERM taken by one thread with sigwait() (see signals.h).
 */
#include "core/signals.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int stop_signal = 0;
static atomic_bool catching = false;

static void stop_set(sigset_t *s)
{
    sigemptyset(s);
    sigaddset(s, SIGUSR1);
    sigaddset(s, SIGTERM);
}

static void *signal_thread(void *arg)
{
    (void)arg;
    sigset_t s;
    stop_set(&s);
    for (;;) {
        int sig = 0;
        if (sigwait(&s, &sig) != 0) continue;
        if (atomic_load(&catching)) {
            atomic_store(&stop_signal, sig);
            continue;
        }
        /* not training: the default action, which ends the process */
        signal(sig, SIG_DFL);
        pthread_sigmask(SIG_UNBLOCK, &s, NULL);
        raise(sig);
    }
    return NULL;
}

void signals_start(void)
{
    sigset_t s;
    stop_set(&s);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    pthread_t t;
    /* the default stack: a small one cannot hold the libraries' static TLS and pthread_create fails */
    if (pthread_create(&t, NULL, signal_thread, NULL) != 0) {
        fprintf(stderr, "synobs: error: cannot start the signal thread\n");
        exit(1);
    }
    pthread_detach(t);
}

void signals_catch_stop(void) { atomic_store(&catching, true); }
void signals_default(void) { atomic_store(&catching, false); }

bool signals_stop_requested(const char **which)
{
    int s = atomic_load(&stop_signal);
    if (which) *which = s == SIGUSR1 ? "SIGUSR1" : s == SIGTERM ? "SIGTERM" : "";
    return s != 0;
}
