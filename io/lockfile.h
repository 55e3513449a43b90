/**
 * @file lockfile.h
 * @brief One writer per directory: an advisory lock that the kernel releases when its holder
 * dies, so that a job requeued after a crash or a kill -9 is never locked out by a dead one.
 */
#ifndef SYNOBS_LOCKFILE_H
#define SYNOBS_LOCKFILE_H

/**
 * @brief Take the lock file `path` (created if missing; the holder's pid and host written in it).
 * @return the descriptor that holds the lock (lockfile_release), or -1 with error_set naming the
 * file and, where the lock is held, the process that holds it. `what` says what it guards.
 */
int lockfile_take(const char *path, const char *what);
void lockfile_release(int fd);

#endif
