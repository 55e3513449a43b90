/**
 * @file signals.h
 * @brief Pre-emption: SIGUSR1 (Slurm's --signal warning) and SIGTERM (scancel, the wall-time
 * limit) only set a flag; training reads it at the end of each step, the ranks agree, and the run
 * checkpoints and leaves with SYNOBS_EXIT_REQUEUE.
 *
 * No compute thread ever receives these signals: signals_start() blocks them before MPI_Init, so
 * every thread created after (MPI's, OpenMP's, oneDNN's, the loader's) inherits the block, and one
 * thread takes them with sigwait(); a handler doing the same stays installed for threads that
 * unblock them again (some do under srun). A handler running on a thread that was inside a oneDNN kernel
 * or a system call was followed, about one run in ten, by heap corruption ("corrupted size vs.
 * prev_size" in free inside dnnl_primitive_execute) on the signalled rank.
 */
#ifndef SYNOBS_SIGNALS_H
#define SYNOBS_SIGNALS_H

#include <stdbool.h>

/** Exit status of a run that checkpointed because it was told to stop: "requeue me" (EX_TEMPFAIL). */
enum { SYNOBS_EXIT_REQUEUE = 75 };

/** Block SIGUSR1 and SIGTERM in this and every later thread and start the thread that takes them.
 * Call first in main(), before MPI_Init and any other thread. Until signals_catch_stop(), either
 * signal ends the process as by default. */
void signals_start(void);
/** From now on SIGUSR1 and SIGTERM set the stop flag instead of ending the process. */
void signals_catch_stop(void);
/** Back to ending the process (a campaign's later stages): the stage that caught is done. */
void signals_default(void);
/** True once SIGUSR1 or SIGTERM arrived after signals_catch_stop(); *which receives its name. */
bool signals_stop_requested(const char **which);

#endif
