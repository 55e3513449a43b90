/**
 * @file lockfile.c
 * @brief POSIX record locks (fcntl) rather than flock or a pid file: released by the kernel when the
 * process ends however it ends, and honoured across nodes on NFS and Lustre, where jobs of one
 * allocation may run.
 */
#include "io/lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/check.h"

int lockfile_take(const char *path, const char *what)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return error_set("%s: cannot open the lock file: %s", path, strerror(errno));
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    if (fcntl(fd, F_SETLK, &l) != 0) {
        int err = errno;
        struct flock who = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
        char holder[256] = "";
        ssize_t n = pread(fd, holder, sizeof holder - 1, 0);
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        if (!holder[0] && fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK)
            snprintf(holder, sizeof holder, "pid %ld", (long)who.l_pid);
        close(fd);
        if (err == EACCES || err == EAGAIN)
            return error_set("%s: %s is in use by another job (%s): wait for it to end, or choose another directory",
                             path, what, holder[0] ? holder : "holder unknown");
        return error_set("%s: cannot lock it: %s", path, strerror(err));
    }
    char host[128] = "?", text[256];
    gethostname(host, sizeof host - 1);
    int len = snprintf(text, sizeof text, "synobs pid %ld on %s\n", (long)getpid(), host);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len) { /* informative only */ }
    return fd;
}

void lockfile_release(int fd)
{
    if (fd >= 0) close(fd);
}
