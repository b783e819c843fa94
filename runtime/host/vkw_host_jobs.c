/* vkw_host_jobs — see vkw_host_jobs.h. */
#define _GNU_SOURCE /* pthread_condattr_setclock on older libcs */
#include "vkw_host_jobs.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vkw_arena.h"
#include "vkw_detach.h"
#include "vkw_host_context.h"
#include "vkw_host_dispatch.h"
#include "vkw_host_syncfb.h"

/* The longest single driver wait on a thread: a context that ends waits at
 * most this long for a wait to notice. */
#define VKW_JOB_SLICE_NS 250000000ull
/* Ancestors remembered while noting what a call names: most handles of
 * one command share their device, so the walk up usually stops at once. */
#define VKW_JOB_RECENT 8

enum job_state {
    JOB_OPEN,     /* being decoded */
    JOB_RUNNING,  /* handed to a thread; `called` says when the call returned */
    JOB_ANSWERED, /* finished: `reply` waits for COLLECT */
};

struct vkw_host_job {
    struct vkw_host_job *next; /* the context's list */
    uint32_t opcode, serial;
    enum job_state state;
    void *payload; /* the command's payload, copied: decoded data may point into it */
    struct vkw_arena arena;
    struct vkw_host_decoder d; /* as the dispatch left it: the finish uses it */
    vkw_job_call_fn call;
    vkw_job_finish_fn finish;
    void *frame; /* the generated frame, in the arena */
    uint64_t *pins;
    size_t pin_count, pin_capacity;
    uint64_t recent[VKW_JOB_RECENT];
    size_t recent_next;
    struct vkw_writer reply;
    /* Shared with the threads: set before the hand-over, or under the
     * pool's lock. */
    struct vkw_job_pool *pool;
    struct vkw_host_syncfb *fb; /* the sync page to wake when the call returns */
    struct vkw_host_job *queued;
    bool called;
};

struct vkw_job_pool {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a job was queued, or the threads must end */
    pthread_cond_t done; /* a call returned (CLOCK_MONOTONIC) */
    struct vkw_host_job *head, *tail;
    size_t idle;
    pthread_t *threads;
    size_t thread_count, thread_capacity;
    bool quit;
    atomic_bool stopping; /* read by waits between slices */
};

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* End the context (the first error stays). */
static void fail(struct vkw_host_context *ctx, enum vkw_error e, uint64_t value, uint32_t opcode,
                 uint32_t serial)
{
    if (ctx->error != VKW_OK)
        return;
    ctx->error = e;
    ctx->error_value = value;
    ctx->error_opcode = opcode;
    ctx->error_serial = serial;
}

/* ---- threads ---- */

static void *job_thread(void *arg)
{
    struct vkw_job_pool *pool = arg;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->head && !pool->quit) {
            pool->idle++;
            pthread_cond_wait(&pool->work, &pool->lock);
            pool->idle--;
        }
        struct vkw_host_job *job = pool->head;
        if (!job)
            break; /* quit, and nothing left */
        pool->head = job->queued;
        if (!pool->head)
            pool->tail = NULL;
        pthread_mutex_unlock(&pool->lock);

        job->call(job, job->frame);

        /* The worker may free the job as soon as `called` is seen. */
        struct vkw_host_syncfb *fb = job->fb;
        pthread_mutex_lock(&pool->lock);
        job->called = true;
        pthread_cond_broadcast(&pool->done);
        pthread_mutex_unlock(&pool->lock);
        if (fb)
            vkw_host_syncfb_notify(fb); /* a guest asleep on the page looks again */
        pthread_mutex_lock(&pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

static struct vkw_job_pool *pool_of(struct vkw_host_context *ctx)
{
    if (ctx->jobs.pool)
        return ctx->jobs.pool;
    struct vkw_job_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->work, NULL);
    pthread_cond_init(&pool->done, &attr);
    pthread_condattr_destroy(&attr);
    atomic_init(&pool->stopping, false);
    ctx->jobs.pool = pool;
    return pool;
}

/* Under the lock: one more thread, when none is idle and the limit allows.
 * False when one was needed and could not be made. */
static bool enough_threads(struct vkw_job_pool *pool, size_t most)
{
    if (pool->idle > 0 || pool->thread_count >= most)
        return true; /* an idle one, or every one the limit allows (one will be free) */
    if (pool->thread_count == pool->thread_capacity) {
        const size_t cap = pool->thread_capacity ? pool->thread_capacity * 2 : 4;
        pthread_t *t = realloc(pool->threads, cap * sizeof(*t));
        if (!t)
            return false;
        pool->threads = t;
        pool->thread_capacity = cap;
    }
    if (pthread_create(&pool->threads[pool->thread_count], NULL, job_thread, pool) != 0)
        return false;
    pool->thread_count++;
    return true;
}

/* Wait until `job`'s call has returned, or until `deadline` (ns,
 * CLOCK_MONOTONIC; UINT64_MAX: for good).  Whether it has. */
static bool await_call(struct vkw_host_job *job, uint64_t deadline)
{
    struct vkw_job_pool *pool = job->pool;
    struct timespec until = {(time_t)(deadline / 1000000000ull),
                             (long)(deadline % 1000000000ull)};
    pthread_mutex_lock(&pool->lock);
    while (!job->called) {
        if (deadline == UINT64_MAX)
            pthread_cond_wait(&pool->done, &pool->lock);
        else if (pthread_cond_timedwait(&pool->done, &pool->lock, &until) == ETIMEDOUT)
            break;
    }
    const bool called = job->called;
    pthread_mutex_unlock(&pool->lock);
    return called;
}

/* ---- one call ---- */

static void release_decoding(struct vkw_host_job *job)
{
    vkw_arena_fini(&job->arena);
    free(job->payload);
    job->payload = NULL;
    free(job->pins);
    job->pins = NULL;
    job->pin_count = job->pin_capacity = 0;
}

static void free_job(struct vkw_host_job *job)
{
    release_decoding(job);
    vkw_writer_fini(&job->reply);
    free(job);
}

static void unlink_job(struct vkw_host_context *ctx, struct vkw_host_job *job)
{
    for (struct vkw_host_job **p = &ctx->jobs.list; *p; p = &(*p)->next)
        if (*p == job) {
            *p = job->next;
            ctx->jobs.count--;
            return;
        }
}

/* The call has returned: bind what it made, write its reply.  The reply
 * goes to the call's own writer, never as pieces (the batch being
 * answered now is another's). */
static void finish(struct vkw_host_context *ctx, struct vkw_host_job *job)
{
    const bool gather = ctx->gather_now;
    ctx->gather_now = false;
    job->finish(ctx, &job->d, &job->reply, job->frame);
    ctx->gather_now = gather;
    job->state = JOB_ANSWERED;
    if (!vkw_reader_ok(&job->d.r))
        fail(ctx, job->d.r.error, job->d.r.error_value, job->opcode, job->serial);
    else if (job->reply.failed)
        fail(ctx, VKW_ERROR_NO_MEMORY, job->reply.size, job->opcode, job->serial);
    release_decoding(job);
}

enum vkw_error vkw_host_job_open(struct vkw_host_context *ctx, const struct vkw_command_header *h,
                                 const void *payload, struct vkw_host_job **out, uint64_t *value)
{
    *out = NULL;
    *value = h->flags;
    if (!(h->flags & VKW_COMMAND_FLAG_REPLY) || h->opcode >= VKW_OPCODE_LIMIT ||
        !vkw_dispatch_detachable[h->opcode])
        return VKW_ERROR_BAD_FLAGS; /* a reply is what it is for; only calls that may block */
    for (const struct vkw_host_job *j = ctx->jobs.list; j; j = j->next) {
        if (j->serial == h->serial) {
            *value = h->serial; /* COLLECT could not tell the two apart */
            return VKW_ERROR_ID_IN_USE;
        }
    }
    if (ctx->jobs.count >= ctx->limits.max_blocking) {
        *value = VKW_LIMIT_BLOCKING;
        return VKW_ERROR_LIMIT;
    }
    struct vkw_host_job *job = calloc(1, sizeof(*job));
    void *copy = malloc(h->size ? h->size : 4); /* malloc's alignment: words read in place */
    if (!job || !copy) {
        free(job);
        free(copy);
        *value = h->size;
        return VKW_ERROR_NO_MEMORY;
    }
    memcpy(copy, payload, h->size);
    job->opcode = h->opcode;
    job->serial = h->serial;
    job->state = JOB_OPEN;
    job->payload = copy;
    vkw_arena_init(&job->arena, ctx->limits.max_decode_bytes);
    vkw_writer_init(&job->reply);
    job->reply.fd_room = 0; /* detachable commands carry no fds */
    job->next = ctx->jobs.list;
    ctx->jobs.list = job;
    ctx->jobs.count++;
    *out = job;
    return VKW_OK;
}

void vkw_host_job_decoder(struct vkw_host_job *job, const void **payload,
                          struct vkw_arena **arena, struct vkw_writer **reply)
{
    *payload = job->payload;
    *arena = &job->arena;
    *reply = &job->reply;
}

void vkw_host_job_close(struct vkw_host_context *ctx, struct vkw_host_job *job,
                        const struct vkw_host_decoder *d, bool ok)
{
    if (!ok && job->state == JOB_OPEN) {
        unlink_job(ctx, job); /* refused before any driver call: the context ends */
        free_job(job);
    } else if (job->state == JOB_OPEN) {
        /* It ran on the worker (a kept failure answered it, or no thread
         * could be made): its finish wrote the reply already. */
        job->state = JOB_ANSWERED;
        if (job->reply.failed)
            fail(ctx, VKW_ERROR_NO_MEMORY, job->reply.size, job->opcode, job->serial);
        release_decoding(job);
    } else if (job->state == JOB_RUNNING) {
        job->d = *d;
        job->d.fds = NULL; /* the batch's fds are gone by the finish (none were taken) */
        job->d.r.fds = NULL;
    }
}

void vkw_host_jobs_reap(struct vkw_host_context *ctx)
{
    for (struct vkw_host_job *j = ctx->jobs.list; j && ctx->error == VKW_OK; j = j->next)
        if (j->state == JOB_RUNNING && await_call(j, 0))
            finish(ctx, j);
}

/* ---- what a call names ---- */

static bool push_pin(struct vkw_host_decoder *d, uint64_t id)
{
    struct vkw_host_job *job = d->job;
    if (job->pin_count == job->pin_capacity) {
        const size_t cap = job->pin_capacity ? job->pin_capacity * 2 : 16;
        uint64_t *p = realloc(job->pins, cap * sizeof(*p));
        if (!p) {
            vkw_reader_fail(&d->r, VKW_ERROR_NO_MEMORY, cap * sizeof(*p));
            return false;
        }
        job->pins = p;
        job->pin_capacity = cap;
    }
    job->pins[job->pin_count++] = id;
    return true;
}

void vkw_host_job_pin(struct vkw_host_decoder *d, uint64_t id)
{
    struct vkw_host_job *job = d->job;
    if (!push_pin(d, id))
        return;
    /* And what it was made from, up to an ancestor already noted (a
     * device's destruction takes its children with it). */
    const struct vkw_object *o = vkw_object_table_find(d->objects, id);
    for (uint64_t p = o ? o->parent_id : 0, depth = 0; p && depth < 16; depth++) {
        for (size_t i = 0; i < VKW_JOB_RECENT; i++)
            if (job->recent[i] == p)
                return;
        if (!push_pin(d, p))
            return;
        job->recent[job->recent_next++ % VKW_JOB_RECENT] = p;
        o = vkw_object_table_find(d->objects, p);
        p = o ? o->parent_id : 0;
    }
}

static bool pins(const struct vkw_host_job *job, uint64_t id)
{
    for (size_t i = 0; i < job->pin_count; i++)
        if (job->pins[i] == id)
            return true;
    return false;
}

void vkw_host_jobs_settle(struct vkw_host_decoder *d, uint64_t id)
{
    struct vkw_host_context *ctx = d->owner;
    if (!ctx || !ctx->jobs.list)
        return;
    for (struct vkw_host_job *j = ctx->jobs.list; j; j = j->next) {
        if (j->state != JOB_RUNNING || !pins(j, id))
            continue;
        /* A valid application never gets here (it destroys what a call
         * uses only once the call returned, and the guest learns that
         * only after this finish); the host waits rather than pull an
         * object from under the driver. */
        await_call(j, UINT64_MAX);
        finish(ctx, j);
        if (ctx->error != VKW_OK) {
            vkw_reader_fail(&d->r, ctx->error, ctx->error_value);
            return;
        }
    }
}

void vkw_host_job_reserve(struct vkw_host_context *ctx, struct vkw_host_decoder *d, uint32_t type,
                          const uint64_t *ids, uint64_t count)
{
    if (!d->job)
        return;
    for (uint64_t i = 0; ids && i < count && vkw_reader_ok(&d->r); i++) {
        const enum vkw_error e = vkw_object_table_insert_pending(&ctx->objects, ids[i], type, 0);
        if (e != VKW_OK)
            vkw_reader_fail(&d->r, e, ids[i]);
        else
            push_pin(d, ids[i]); /* destroying it waits for the call */
    }
}

void vkw_host_job_unreserve(struct vkw_host_context *ctx, uint32_t type, const uint64_t *ids,
                            uint64_t count)
{
    for (uint64_t i = 0; ids && i < count; i++) {
        const struct vkw_object *o = vkw_object_table_find(&ctx->objects, ids[i]);
        if (o && o->type == type && (o->flags & VKW_OBJECT_PENDING))
            vkw_object_table_remove(&ctx->objects, ids[i], type);
    }
}

/* ---- hand-over ---- */

bool vkw_host_detach(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                     vkw_job_call_fn call, vkw_job_finish_fn finish_fn, void *frame)
{
    struct vkw_host_job *job = d->job;
    if (!job)
        return false;
    job->call = call;
    job->finish = finish_fn;
    job->frame = frame;
    struct vkw_job_pool *pool = pool_of(ctx);
    if (!pool)
        return false;
    pthread_mutex_lock(&pool->lock);
    if (!enough_threads(pool, ctx->limits.max_blocking)) {
        pthread_mutex_unlock(&pool->lock);
        return false; /* no thread to be had: it runs here, as without DETACH */
    }
    job->pool = pool;
    job->fb = ctx->syncfb;
    job->state = JOB_RUNNING;
    if (pool->tail)
        pool->tail->queued = job;
    else
        pool->head = job;
    pool->tail = job;
    pthread_cond_signal(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    return true;
}

uint64_t vkw_host_job_deadline(uint64_t timeout)
{
    const uint64_t now = now_ns();
    return timeout > UINT64_MAX - now ? UINT64_MAX : now + timeout;
}

uint64_t vkw_host_job_slice(const struct vkw_host_job *job, uint64_t end)
{
    if (end == UINT64_MAX)
        return job ? VKW_JOB_SLICE_NS : UINT64_MAX;
    const uint64_t now = now_ns();
    const uint64_t left = end > now ? end - now : 0;
    return job && left > VKW_JOB_SLICE_NS ? VKW_JOB_SLICE_NS : left;
}

bool vkw_host_job_again(const struct vkw_host_job *job, uint64_t end)
{
    return job && !atomic_load(&job->pool->stopping) && (end == UINT64_MAX || now_ns() < end);
}

/* ---- COLLECT ---- */

/* COLLECT: u32 serial, u32 wait_us.  Reply: u32 state, u32 0, and for DONE
 * the call's reply payload. */
void vkw_host_collect(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                      struct vkw_writer *reply)
{
    const uint32_t serial = vkw_read_u32(&d->r);
    const uint32_t wait_us = vkw_read_u32(&d->r);
    if (!vkw_host_memory_decoded(d))
        return;
    if (!reply) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_FLAGS, 0); /* an answer is all it is for */
        return;
    }
    struct vkw_host_job *job = ctx->jobs.list;
    while (job && job->serial != serial)
        job = job->next;
    if (!job) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, serial); /* no call holds that serial */
        return;
    }
    if (job->state == JOB_RUNNING) {
        const uint64_t wait_ns =
            (uint64_t)(wait_us < VKW_COLLECT_MAX_WAIT_US ? wait_us : VKW_COLLECT_MAX_WAIT_US) *
            1000u;
        if (await_call(job, now_ns() + wait_ns))
            finish(ctx, job);
        if (ctx->error != VKW_OK) {
            vkw_reader_fail(&d->r, ctx->error, ctx->error_value);
            return;
        }
    }
    if (job->state != JOB_ANSWERED) {
        vkw_write_u32(reply, VKW_COLLECT_RUNNING);
        vkw_write_u32(reply, 0);
        return;
    }
    vkw_write_u32(reply, VKW_COLLECT_DONE);
    vkw_write_u32(reply, 0);
    uint8_t *at = vkw_writer_reserve(reply, job->reply.size); /* payloads are whole words */
    if (at && job->reply.size)
        memcpy(at, job->reply.data, job->reply.size);
    unlink_job(ctx, job);
    free_job(job);
}

/* ---- teardown ---- */

void vkw_host_jobs_stop(struct vkw_host_context *ctx)
{
    struct vkw_job_pool *pool = ctx->jobs.pool;
    if (pool)
        atomic_store(&pool->stopping, true);
    while (ctx->jobs.list) {
        struct vkw_host_job *job = ctx->jobs.list;
        if (job->state == JOB_RUNNING) {
            await_call(job, UINT64_MAX);
            finish(ctx, job); /* what it made is bound, to be destroyed with the rest */
        }
        unlink_job(ctx, job);
        free_job(job);
    }
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->quit = true;
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    for (size_t i = 0; i < pool->thread_count; i++)
        pthread_join(pool->threads[i], NULL);
    free(pool->threads);
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->work);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
    ctx->jobs.pool = NULL;
}
