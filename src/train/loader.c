/**
 * @file loader.c
 * @brief Rank-count-independent training streams with a prefetch thread (see loader.h).
 *
 * Each local stream has two chunk buffers: the one being consumed and the one the thread fills
 * with the stream's next chunk. A buffer is keyed by (epoch, slot), slot being the chunk's place
 * in the stream. One mutex and one condition variable guard every buffer's state.
 */
#include "train/loader.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/rng.h"

static pthread_mutex_t io_mutex = PTHREAD_MUTEX_INITIALIZER;

void loader_io_lock(void) { pthread_mutex_lock(&io_mutex); }
void loader_io_unlock(void) { pthread_mutex_unlock(&io_mutex); }

enum { BUF_FREE, BUF_REQUESTED, BUF_LOADING, BUF_READY, BUF_FAILED };

typedef struct {
    int state;
    int64_t epoch, slot;
    float *x, *y;        /**< C normalised samples, in the chunk's visiting order */
} chunk_buf;

typedef struct {
    chunk_buf buf[2];
    int64_t epoch, pos;  /**< next sample of the stream to hand out */
} stream;

struct loader {
    loader_config cfg;
    int64_t n_chunks, slots_used, steps;
    int64_t perm_epoch, *perm; /**< the epoch's order of the n samples (prefetch thread's) */
    size_t in_floats, out_floats;
    stream *st;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    char error[1024];
};

/* ---- the epoch's order: pure functions of (seed, epoch) ------------------------------------ */

static void permutation(uint64_t seed, uint64_t stream_id, int64_t n, int64_t *p)
{
    rng r;
    rng_seed(&r, seed, stream_id);
    for (int64_t i = 0; i < n; i++) p[i] = i;
    for (int64_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
        int64_t j = (int64_t)(rng_uniform(&r) * (double)(i + 1));
        int64_t t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
}

static uint64_t epoch_stream(int64_t epoch) { return 0x7472616e00000000ULL + (uint64_t)epoch; }

/* Positions (into cfg.index) of the samples of chunk `slot` of stream k in epoch e, in visiting order:
 * chunk j of the epoch is entries [jC, (j+1)C) of the epoch's permutation of all n positions, and
 * stream k gets chunks k, k + M, k + 2M, ... The permutation is cached for the epoch; only the
 * prefetch thread calls this. */
static void chunk_positions(loader *ld, int64_t epoch, int k, int64_t slot, int64_t *pos)
{
    const loader_config *c = &ld->cfg;
    if (ld->perm_epoch != epoch) {
        permutation(c->seed, epoch_stream(epoch), c->n, ld->perm);
        ld->perm_epoch = epoch;
    }
    int64_t chunk = slot * c->streams + k;
    if (chunk < 0 || (chunk + 1) * c->chunk > c->n)
        synobs_fatal(__FILE__, __LINE__, "loader", "a chunk outside the epoch was requested", "internal error");
    memcpy(pos, ld->perm + chunk * c->chunk, (size_t)c->chunk * sizeof *pos);
}

/* ---- reading ---------------------------------------------------------------------------------- */

int samples_read(dataset *ds, const int64_t *index, int64_t count, const nn_norm *norm, float *x, float *y)
{
    int G = dataset_grid(ds), F = dataset_nfreq(ds);
    size_t cells = (size_t)G * G * G, in_f = 3 * cells, out_f = (size_t)F * G * G;
    float *rin = x ? xmalloc(in_f * sizeof *rin) : NULL, *rout = y ? xmalloc(out_f * sizeof *rout) : NULL;
    int rc = 0;
    for (int64_t i = 0; i < count && rc == 0; i++) {
        loader_io_lock();
        rc = dataset_read(ds, index[i], 1, rin, rout);
        loader_io_unlock();
        if (rc) break;
        if (x) nn_norm_inputs(norm, cells, rin, rin + cells, rin + 2 * cells, x + (size_t)i * in_f);
        if (y) nn_norm_intensity(norm, out_f, rout, y + (size_t)i * out_f);
    }
    free(rin);
    free(rout);
    return rc;
}

static int load_chunk(loader *ld, int k, chunk_buf *b)
{
    const loader_config *c = &ld->cfg;
    int64_t *pos = xmalloc((size_t)c->chunk * sizeof *pos), *idx = xmalloc((size_t)c->chunk * sizeof *idx);
    chunk_positions(ld, b->epoch, k, b->slot, pos);
    for (int64_t i = 0; i < c->chunk; i++) idx[i] = c->index[pos[i]];
    int rc = samples_read(c->ds, idx, c->chunk, &c->norm, b->x, b->y);
    free(pos);
    free(idx);
    return rc;
}

static void *prefetch_main(void *arg)
{
    loader *ld = arg;
    pthread_mutex_lock(&ld->mu);
    for (;;) {
        chunk_buf *job = NULL;
        int k = 0;
        for (int s = 0; s < ld->cfg.local_streams && !job; s++)
            for (int j = 0; j < 2 && !job; j++)
                if (ld->st[s].buf[j].state == BUF_REQUESTED) job = &ld->st[s].buf[j], k = ld->cfg.first_stream + s;
        if (!job) {
            if (ld->stop) break;
            pthread_cond_wait(&ld->cv, &ld->mu);
            continue;
        }
        job->state = BUF_LOADING;
        pthread_mutex_unlock(&ld->mu);
        int rc = load_chunk(ld, k, job);
        pthread_mutex_lock(&ld->mu);
        if (rc != 0 && !ld->error[0]) snprintf(ld->error, sizeof ld->error, "%s", error_message());
        job->state = rc == 0 ? BUF_READY : BUF_FAILED;
        pthread_cond_broadcast(&ld->cv);
    }
    pthread_mutex_unlock(&ld->mu);
    return NULL;
}

/* ---- the consumer side (called with ld->mu held) ---------------------------------------------- */

static bool holds(const chunk_buf *b, int64_t epoch, int64_t slot)
{
    return b->state != BUF_FREE && b->epoch == epoch && b->slot == slot;
}

static void wait_idle(loader *ld, chunk_buf *b)
{
    while (b->state == BUF_REQUESTED || b->state == BUF_LOADING) {
        if (b->state == BUF_REQUESTED) { /* not started: withdraw */
            b->state = BUF_FREE;
            break;
        }
        pthread_cond_wait(&ld->cv, &ld->mu);
    }
}

static void request(loader *ld, chunk_buf *b, int64_t epoch, int64_t slot)
{
    wait_idle(ld, b);
    b->epoch = epoch;
    b->slot = slot;
    b->state = BUF_REQUESTED;
    pthread_cond_broadcast(&ld->cv);
}

/* The buffer holding (epoch, slot) of stream s, ready; the other buffer starts on the chunk after. */
static chunk_buf *acquire(loader *ld, stream *st, int64_t epoch, int64_t slot)
{
    chunk_buf *b = holds(&st->buf[0], epoch, slot) ? &st->buf[0] : holds(&st->buf[1], epoch, slot) ? &st->buf[1] : NULL;
    if (!b) {
        b = &st->buf[0];
        request(ld, b, epoch, slot);
    }
    while (b->state == BUF_REQUESTED || b->state == BUF_LOADING) pthread_cond_wait(&ld->cv, &ld->mu);
    if (b->state == BUF_FAILED) return NULL;
    chunk_buf *other = b == &st->buf[0] ? &st->buf[1] : &st->buf[0];
    int64_t ne = slot + 1 < ld->slots_used ? epoch : epoch + 1, ns = slot + 1 < ld->slots_used ? slot + 1 : 0;
    if (!holds(other, ne, ns)) request(ld, other, ne, ns);
    return b;
}

int loader_next(loader *ld, int s, float *x, float *y)
{
    const loader_config *c = &ld->cfg;
    stream *st = &ld->st[s];
    int rc = 0;
    pthread_mutex_lock(&ld->mu);
    for (int i = 0; i < c->micro_batch; i++) {
        int64_t slot = st->pos / c->chunk, at = st->pos % c->chunk;
        chunk_buf *b = acquire(ld, st, st->epoch, slot);
        if (!b) {
            rc = error_set("%s", ld->error);
            break;
        }
        memcpy(x + (size_t)i * ld->in_floats, b->x + (size_t)at * ld->in_floats, ld->in_floats * sizeof *x);
        memcpy(y + (size_t)i * ld->out_floats, b->y + (size_t)at * ld->out_floats, ld->out_floats * sizeof *y);
        st->pos++;
    }
    pthread_mutex_unlock(&ld->mu);
    return rc;
}

void loader_seek(loader *ld, int64_t epoch, int64_t step)
{
    pthread_mutex_lock(&ld->mu);
    for (int s = 0; s < ld->cfg.local_streams; s++) {
        ld->st[s].epoch = epoch;
        ld->st[s].pos = step * ld->cfg.micro_batch;
        int64_t slot = ld->st[s].pos / ld->cfg.chunk;
        chunk_buf *b = &ld->st[s].buf[0];
        /* a run resumed at the end of an epoch (step == steps) reads nothing more of it */
        if (slot < ld->slots_used && !holds(&ld->st[s].buf[0], epoch, slot) && !holds(&ld->st[s].buf[1], epoch, slot))
            request(ld, b, epoch, slot);
    }
    pthread_mutex_unlock(&ld->mu);
}

int64_t loader_steps_per_epoch(const loader *ld) { return ld->steps; }

int loader_open(const loader_config *cfg, loader **out)
{
    const loader_config *c = cfg;
    if (c->micro_batch < 1 || c->streams < 1 || c->chunk < 1)
        return error_set("[train] micro_batch, global_batch and chunk_samples must be positive");
    int64_t n_chunks = c->n / c->chunk;
    if (n_chunks < c->streams)
        return error_set("[train] %lld training samples make %lld chunks of chunk_samples = %lld, fewer than the %d "
                         "micro-batches of a global batch (global_batch / micro_batch): lower chunk_samples or the batch",
                         (long long)c->n, (long long)n_chunks, (long long)c->chunk, c->streams);
    loader *ld = xcalloc(1, sizeof *ld);
    ld->cfg = *cfg;
    ld->n_chunks = n_chunks;
    ld->perm_epoch = -1;
    ld->perm = xmalloc((size_t)c->n * sizeof *ld->perm);
    int64_t per_stream = n_chunks / c->streams; /* chunks every stream has */
    ld->steps = per_stream * c->chunk / c->micro_batch;
    ld->slots_used = (ld->steps * c->micro_batch + c->chunk - 1) / c->chunk;
    if (ld->steps < 1) {
        free(ld->perm);
        free(ld);
        return error_set("[train] an epoch would have no step: each stream holds %lld samples, fewer than micro_batch = %d",
                         (long long)(per_stream * c->chunk), c->micro_batch);
    }
    int G = dataset_grid(c->ds);
    ld->in_floats = 3 * (size_t)G * G * G;
    ld->out_floats = (size_t)dataset_nfreq(c->ds) * G * G;
    ld->st = xcalloc((size_t)c->local_streams, sizeof *ld->st);
    for (int s = 0; s < c->local_streams; s++)
        for (int j = 0; j < 2; j++) {
            ld->st[s].buf[j].x = xmalloc((size_t)c->chunk * ld->in_floats * sizeof(float));
            ld->st[s].buf[j].y = xmalloc((size_t)c->chunk * ld->out_floats * sizeof(float));
        }
    pthread_mutex_init(&ld->mu, NULL);
    pthread_cond_init(&ld->cv, NULL);
    if (pthread_create(&ld->thread, NULL, prefetch_main, ld) != 0)
        synobs_fatal(__FILE__, __LINE__, "pthread", "too many threads or too little memory", "cannot start the prefetch thread");
    *out = ld;
    return 0;
}

void loader_close(loader *ld)
{
    if (!ld) return;
    pthread_mutex_lock(&ld->mu);
    ld->stop = true;
    for (int s = 0; s < ld->cfg.local_streams; s++)
        for (int j = 0; j < 2; j++)
            if (ld->st[s].buf[j].state == BUF_REQUESTED) ld->st[s].buf[j].state = BUF_FREE;
    pthread_cond_broadcast(&ld->cv);
    pthread_mutex_unlock(&ld->mu);
    pthread_join(ld->thread, NULL);
    for (int s = 0; s < ld->cfg.local_streams; s++)
        for (int j = 0; j < 2; j++) {
            free(ld->st[s].buf[j].x);
            free(ld->st[s].buf[j].y);
        }
    free(ld->st);
    free(ld->perm);
    pthread_mutex_destroy(&ld->mu);
    pthread_cond_destroy(&ld->cv);
    free(ld);
}
