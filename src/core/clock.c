#include "core/clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/check.h"

double clock_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double clock_memcpy_bandwidth(size_t bytes, int repeats)
{
    char *a = xmalloc(bytes), *b = xmalloc(bytes);
    memset(a, 1, bytes);
    memset(b, 2, bytes); /* touch every page before timing */
    double best = 0.0;
    volatile char sink = 0;
    for (int r = 0; r < repeats; r++) {
        a[r % bytes] = (char)r;
        double t = clock_now();
        memcpy(b, a, bytes);
        t = clock_now() - t;
        sink ^= b[(r * 4099) % bytes];
        if (t > 0 && (double)bytes / t > best) best = (double)bytes / t;
    }
    (void)sink;
    free(a);
    free(b);
    return best;
}
