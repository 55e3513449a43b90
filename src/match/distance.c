#include "match/distance.h"

#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"

static const char *const metric_names[MATCH_N_METRICS] = {"cosine", "euclidean", "braycurtis", "canberra",
                                                          "cityblock"};

const char *match_metric_name(match_metric m)
{
    return (m >= 0 && m < MATCH_N_METRICS) ? metric_names[m] : "?";
}

int match_metric_from_name(const char *name)
{
    for (int m = 0; m < MATCH_N_METRICS; m++)
        if (strcmp(name, metric_names[m]) == 0) return m;
    return -1;
}

int match_eq12_norm_from_name(const char *name)
{
    if (strcmp(name, "ratio_squared") == 0) return MATCH_EQ12_RATIO_SQUARED;
    if (strcmp(name, "as_printed") == 0) return MATCH_EQ12_AS_PRINTED;
    return -1;
}

/* Cosine of near-parallel vectors loses digits to the cancellation in 1 - c (a distance of 2e-4
 * keeps only ~12 of them), so the order of the sums shows at 1e-12 relative. These are the sums of
 * scipy 1.10's compiled cdist 'cosine' (the oracle), reproduced bit for bit on /ranking_example:
 * two interleaved accumulators (even and odd index) added at the end, and
 * 1 - dot/(sqrt(u.u) sqrt(v.v)) with the cosine clipped to [-1, 1]. */
static double cosine(const double *u, const double *v, size_t c)
{
    double dot[2] = {0.0, 0.0}, uu[2] = {0.0, 0.0}, vv[2] = {0.0, 0.0};
    for (size_t i = 0; i < c; i++) {
        dot[i & 1] += u[i] * v[i];
        uu[i & 1] += u[i] * u[i];
        vv[i & 1] += v[i] * v[i];
    }
    double d = dot[0] + dot[1], nu = uu[0] + uu[1], nv = vv[0] + vv[1];
    if (nu == 0.0 && nv == 0.0) return 0.0; /* [choice]: two zero vectors are identical */
    if (nu == 0.0 || nv == 0.0) return 1.0; /* [choice]: exactly one zero vector */
    double cs = d / (sqrt(nu) * sqrt(nv));
    if (fabs(cs) > 1.0) cs = copysign(1.0, cs);
    return 1.0 - cs;
}

static double euclidean(const double *u, const double *v, size_t c)
{
    double s = 0.0;
    for (size_t i = 0; i < c; i++) {
        double d = u[i] - v[i];
        s += d * d;
    }
    return sqrt(s);
}

static double braycurtis(const double *u, const double *v, size_t c)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < c; i++) {
        num += fabs(u[i] - v[i]);
        den += fabs(u[i] + v[i]);
    }
    return den == 0.0 ? 0.0 : num / den;
}

static double canberra(const double *u, const double *v, size_t c)
{
    double s = 0.0;
    for (size_t i = 0; i < c; i++) {
        double den = fabs(u[i]) + fabs(v[i]);
        if (den > 0.0) s += fabs(u[i] - v[i]) / den;
    }
    return s;
}

static double cityblock(const double *u, const double *v, size_t c)
{
    double s = 0.0;
    for (size_t i = 0; i < c; i++) s += fabs(u[i] - v[i]);
    return s;
}

double match_distance_pair(match_metric m, const double *u, const double *v, size_t c)
{
    switch (m) {
    case MATCH_COSINE: return cosine(u, v, c);
    case MATCH_EUCLIDEAN: return euclidean(u, v, c);
    case MATCH_BRAYCURTIS: return braycurtis(u, v, c);
    case MATCH_CANBERRA: return canberra(u, v, c);
    case MATCH_CITYBLOCK: return cityblock(u, v, c);
    default: synobs_fatal(__FILE__, __LINE__, "match", NULL, "unknown distance %d", (int)m);
    }
}

void match_distances_f64(match_metric m, const double *u, const double *F, size_t n, size_t c, double *out)
{
    for (size_t i = 0; i < n; i++) out[i] = match_distance_pair(m, u, F + i * c, c);
}

void match_distances_f32(match_metric m, const float *u, const float *F, size_t n, size_t c, double *out)
{
    // (2, C): the observation and one catalogue row, widened to double (exact)
    double *buf = malloc(2 * c * sizeof *buf);
    ALLOC_CHECK(buf, 2 * c * sizeof *buf);
    double *ud = buf, *vd = buf + c;
    for (size_t k = 0; k < c; k++) ud[k] = u[k];
    for (size_t i = 0; i < n; i++) {
        const float *row = F + i * c;
        for (size_t k = 0; k < c; k++) vd[k] = row[k];
        out[i] = match_distance_pair(m, ud, vd, c);
    }
    free(buf);
}

void match_eq12_max_local(const double *d_cos, const double *d_euc, size_t n, double max[2])
{
    max[0] = 0.0;
    max[1] = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (d_cos[i] > max[0]) max[0] = d_cos[i];
        if (d_euc[i] > max[1]) max[1] = d_euc[i];
    }
}

void match_eq12_max_allreduce(double max[2])
{
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, max, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
}

void match_eq12(match_eq12_norm norm, const double *d_cos, const double *d_euc, size_t n, const double max[2],
                double *out)
{
    for (size_t i = 0; i < n; i++) {
        double a = 0.0, b = 0.0;
        if (norm == MATCH_EQ12_AS_PRINTED) {
            if (max[0] > 0.0) a = d_cos[i] * d_cos[i] / max[0];
            if (max[1] > 0.0) b = d_euc[i] * d_euc[i] / max[1];
        } else {
            if (max[0] > 0.0) a = (d_cos[i] / max[0]) * (d_cos[i] / max[0]);
            if (max[1] > 0.0) b = (d_euc[i] / max[1]) * (d_euc[i] / max[1]);
        }
        out[i] = a + b;
    }
}
