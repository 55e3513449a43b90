/**
 * @file signals.h
 * @brief Pre-emption: SIGUSR1 (Slurm's --signal warning) and SIGTERM (scancel, the wall-time
 * limit) only set a flag; training reads it at the end of each step, the ranks agree, and the run
 * checkpoints and leaves with SYNOBS_EXIT_REQUEUE.
 */
#ifndef SYNOBS_SIGNALS_H
#define SYNOBS_SIGNALS_H

#include <stdbool.h>

/** Exit status of a run that checkpointed because it was told to stop: "requeue me" (EX_TEMPFAIL). */
enum { SYNOBS_EXIT_REQUEUE = 75 };

void signals_install(void);
/** True once SIGUSR1 or SIGTERM arrived; *which receives the signal's name. */
bool signals_stop_requested(const char **which);

#endif
