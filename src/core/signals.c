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

/* What either signal does: set the flag while training catches it, else the default action (end
 * the process). Async-signal-safe: it also runs as a handler. */
static void take(int sig)
{
    if (atomic_load(&catching)) {
        atomic_store(&stop_signal, sig);
        return;
    }
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
}

static void *signal_thread(void *arg)
{
    (void)arg;
    sigset_t s;
    stop_set(&s);
    for (;;) {
        int sig = 0;
        if (sigwait(&s, &sig) == 0) take(sig);
    }
    return NULL;
}

void signals_start(void)
{
    /* The handler is a safety net: a thread that unblocks the signals again would otherwise get
     * the default action and end the run without a checkpoint (under srun, without it, the
     * training task died of SIGUSR1: some thread there takes signals). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = take;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
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
