#include "core/progress.h"

#include <mpi.h>

#include "core/log.h"

void progress_start(progress *p, const char *what, const char *unit, int64_t total, double bytes_per_unit)
{
    p->what = what;
    p->unit = unit;
    p->total = total;
    p->bytes_per_unit = bytes_per_unit;
    p->t_start = p->t_last = MPI_Wtime();
    p->interval = 5.0;
}

static void hms(double s, char *out, size_t n)
{
    long t = (long)(s + 0.5);
    snprintf(out, n, "%02ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
}

void progress_update(progress *p, int64_t done)
{
    double now = MPI_Wtime();
    if (done < p->total && now - p->t_last < p->interval) return;
    p->t_last = now;
    double dt = now - p->t_start;
    double rate = dt > 0 ? (double)done / dt : 0.0;
    char eta[32], rate_b[48] = "";
    hms(rate > 0 ? (double)(p->total - done) / rate : 0.0, eta, sizeof eta);
    if (p->bytes_per_unit > 0)
        snprintf(rate_b, sizeof rate_b, ", %.2f GB/s", rate * p->bytes_per_unit / 1e9);
    message0("%s: %lld/%lld %s (%.0f%%), %.2f %s/s%s, ETA %s", p->what, (long long)done, (long long)p->total,
             p->unit, p->total ? 100.0 * (double)done / (double)p->total : 100.0, rate, p->unit, rate_b, eta);
}
