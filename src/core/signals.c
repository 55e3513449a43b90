/**
 * @file signals.c
 * @brief The stop flag set by SIGUSR1/SIGTERM (see signals.h).
 */
#include "core/signals.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig) { stop_signal = sig; }

void signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool signals_stop_requested(const char **which)
{
    int s = stop_signal;
    if (which) *which = s == SIGUSR1 ? "SIGUSR1" : s == SIGTERM ? "SIGTERM" : "";
    return s != 0;
}
