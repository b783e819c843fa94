/* vkw_host_syncfb — see vkw_host_syncfb.h. */
#define _GNU_SOURCE /* syscall, F_GET_SEALS */
#include "vkw_host_syncfb.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vkw_handles.h"
#include "vkw_host_context.h"
#include "vkw_host_decode.h"
#include "vkw_sync_page.h"
#include "vkw_vulkan_util.h"

/* A completion thread's longest single wait in the driver: only a stop
 * while the queue's work never ends waits this long. */
#define VKW_SYNCFB_WAIT_NS 250000000ull
struct syncfb_queue {
    struct vkw_host_context *ctx;
    VkQueue queue;
    VkDevice device;
    uint32_t slot;
    pthread_t thread;
    bool stop; /* under the lock */
};

struct vkw_host_syncfb {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a queue got work, or a thread must stop */
    unsigned char *page; /* the guest's memfd, MAP_SHARED: written only */
    uint32_t wake, flags; /* what the host last wrote (never read back) */
    uint64_t submitted[VKW_SYNC_QUEUE_SLOTS]; /* worker only */
    uint64_t completed[VKW_SYNC_QUEUE_SLOTS]; /* under the lock */
    struct syncfb_queue *queues[VKW_SYNC_QUEUE_SLOTS];
};

/* ---- the page: stores only ---- */

static _Atomic uint32_t *word32(struct vkw_host_syncfb *fb, size_t offset)
{
    return (_Atomic uint32_t *)(void *)(fb->page + offset);
}

/* Bump the wake word and wake whoever sleeps on it.  Not FUTEX_PRIVATE:
 * the sleepers are in the guest's process, on the same pages. */
static void wake_guest(struct vkw_host_syncfb *fb)
{
    atomic_store_explicit(word32(fb, VKW_SYNC_WAKE_OFFSET), ++fb->wake, memory_order_release);
    syscall(SYS_futex, word32(fb, VKW_SYNC_WAKE_OFFSET), FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void set_flags(struct vkw_host_syncfb *fb, uint32_t flags)
{
    fb->flags = flags;
    atomic_store_explicit(word32(fb, VKW_SYNC_FLAGS_OFFSET), flags, memory_order_release);
    wake_guest(fb);
}

void vkw_host_syncfb_publish(struct vkw_host_context *ctx, uint32_t slot, uint64_t seq)
{
    struct vkw_host_syncfb *fb = ctx->syncfb;
    if (!fb || slot >= VKW_SYNC_QUEUE_SLOTS || seq <= fb->completed[slot])
        return;
    fb->completed[slot] = seq;
    _Atomic uint64_t *at =
        (_Atomic uint64_t *)(void *)(fb->page + VKW_SYNC_COMPLETED_OFFSET + 8u * slot);
    atomic_store_explicit(at, seq, memory_order_release);
    wake_guest(fb);
}

void vkw_host_syncfb_note_deferred(struct vkw_host_context *ctx, bool pending)
{
    struct vkw_host_syncfb *fb = ctx->syncfb;
    if (!fb)
        return;
    pthread_mutex_lock(&fb->lock);
    const uint32_t flags =
        pending ? fb->flags | VKW_SYNC_FLAG_DEFERRED : fb->flags & ~VKW_SYNC_FLAG_DEFERRED;
    if (flags != fb->flags)
        set_flags(fb, flags);
    pthread_mutex_unlock(&fb->lock);
}

void vkw_host_syncfb_notify(struct vkw_host_syncfb *fb)
{
    pthread_mutex_lock(&fb->lock);
    wake_guest(fb);
    pthread_mutex_unlock(&fb->lock);
}

void vkw_host_syncfb_stopped(struct vkw_host_context *ctx)
{
    struct vkw_host_syncfb *fb = ctx->syncfb;
    if (!fb)
        return;
    pthread_mutex_lock(&fb->lock);
    if (!(fb->flags & VKW_SYNC_FLAG_STOPPED))
        set_flags(fb, fb->flags | VKW_SYNC_FLAG_STOPPED);
    pthread_mutex_unlock(&fb->lock);
}

/* ---- locking shared with vkw_host_inflight ---- */

void vkw_host_syncfb_lock(struct vkw_host_context *ctx)
{
    if (ctx->syncfb)
        pthread_mutex_lock(&ctx->syncfb->lock);
}

void vkw_host_syncfb_unlock(struct vkw_host_context *ctx)
{
    if (ctx->syncfb)
        pthread_mutex_unlock(&ctx->syncfb->lock);
}

static struct syncfb_queue *queue_of(struct vkw_host_syncfb *fb, VkQueue queue)
{
    for (uint32_t i = 0; fb && i < VKW_SYNC_QUEUE_SLOTS; i++)
        if (fb->queues[i] && fb->queues[i]->queue == queue)
            return fb->queues[i];
    return NULL;
}

uint64_t vkw_host_syncfb_count_submit(struct vkw_host_context *ctx, VkQueue queue,
                                      uint32_t *slot)
{
    const struct syncfb_queue *q = queue_of(ctx->syncfb, queue);
    if (!q)
        return 0;
    *slot = q->slot;
    return ++ctx->syncfb->submitted[q->slot];
}

void vkw_host_syncfb_kick(struct vkw_host_context *ctx, VkQueue queue)
{
    if (queue_of(ctx->syncfb, queue))
        pthread_cond_broadcast(&ctx->syncfb->work);
}

/* ---- completion threads ---- */

/* Sleep while the queue has nothing in flight; otherwise wait in the
 * driver for its oldest fence and retire it.  The driver's wait is the
 * only blocking call made without the lock.  (Spinning here, looking for
 * work or at the fence before sleeping, bought nothing measurable on a
 * 2-core lavapipe machine: doc/PERFORMANCE.md.) */
static void *completion_thread(void *arg)
{
    struct syncfb_queue *q = arg;
    struct vkw_host_context *ctx = q->ctx;
    struct vkw_host_syncfb *fb = ctx->syncfb;
    pthread_mutex_lock(&fb->lock);
    while (!q->stop) {
        VkFence fence;
        VkDevice device;
        if (!vkw_host_inflight_take_oldest(ctx, q->queue, &fence, &device)) {
            pthread_cond_wait(&fb->work, &fb->lock);
            continue;
        }
        pthread_mutex_unlock(&fb->lock);
        const VkResult r = ctx->vk.vkWaitForFences(device, 1, &fence, VK_TRUE, VKW_SYNCFB_WAIT_NS);
        pthread_mutex_lock(&fb->lock);
        vkw_host_inflight_wait_ended(ctx, fence, r == VK_SUCCESS);
        if (r != VK_SUCCESS && r != VK_TIMEOUT) {
            /* Device lost (or worse): the guest must ask the host now, and
             * this queue is watched no more. */
            if (!(fb->flags & VKW_SYNC_FLAG_STOPPED))
                set_flags(fb, fb->flags | VKW_SYNC_FLAG_STOPPED);
            while (!q->stop)
                pthread_cond_wait(&fb->work, &fb->lock);
        }
    }
    pthread_mutex_unlock(&fb->lock);
    return NULL;
}

/* Join the thread of slot `i` and free its queue.  The lock is not held. */
static void stop_slot(struct vkw_host_syncfb *fb, uint32_t i)
{
    struct syncfb_queue *q = fb->queues[i];
    pthread_mutex_lock(&fb->lock);
    q->stop = true;
    pthread_cond_broadcast(&fb->work);
    pthread_mutex_unlock(&fb->lock);
    pthread_join(q->thread, NULL);
    pthread_mutex_lock(&fb->lock);
    fb->queues[i] = NULL;
    pthread_mutex_unlock(&fb->lock);
    free(q);
}

void vkw_host_syncfb_stop_device(struct vkw_host_context *ctx, VkDevice device)
{
    struct vkw_host_syncfb *fb = ctx->syncfb;
    for (uint32_t i = 0; fb && i < VKW_SYNC_QUEUE_SLOTS; i++)
        if (fb->queues[i] && (!device || fb->queues[i]->device == device))
            stop_slot(fb, i);
}

void vkw_host_syncfb_free(struct vkw_host_context *ctx)
{
    struct vkw_host_syncfb *fb = ctx->syncfb;
    if (!fb)
        return;
    vkw_host_syncfb_stop_device(ctx, VK_NULL_HANDLE);
    vkw_host_syncfb_stopped(ctx); /* sleepers wake and ask (and find the context gone) */
    munmap(fb->page, VKW_SYNC_PAGE_BYTES);
    pthread_cond_destroy(&fb->work);
    pthread_mutex_destroy(&fb->lock);
    free(fb);
    ctx->syncfb = NULL;
}

/* ---- messages ---- */

/* SYNC_PAGE: u32 fd index.  Reply: i32 VkResult. */
void vkw_host_sync_page(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                        struct vkw_writer *reply)
{
    const uint32_t index = vkw_read_u32(&d->r);
    if (!vkw_host_memory_decoded(d))
        return;
    const int fd = vkw_host_memory_take_fd(ctx, d, index);
    if (fd < 0)
        return;
    struct stat st;
    const int seals = fcntl(fd, F_GET_SEALS);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < VKW_SYNC_PAGE_BYTES ||
        seals < 0 || !(seals & F_SEAL_SHRINK)) {
        close(fd); /* a file that could shrink under the mapping would crash the host */
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_FD, index);
        return;
    }
    VkResult result = VK_SUCCESS;
    struct vkw_host_syncfb *fb = NULL;
    const struct vkw_driver_table *vk = &ctx->vk;
    if (ctx->syncfb) {
        result = VK_ERROR_TOO_MANY_OBJECTS; /* one page per connection */
    } else if (!vk->vkWaitForFences || !vk->vkQueueSubmit || !vk->vkCreateFence ||
               !vk->vkGetFenceStatus || !vk->vkResetFences || !vk->vkDestroyFence) {
        result = VK_ERROR_FEATURE_NOT_PRESENT; /* no in-flight fences to watch */
    } else if (!(fb = calloc(1, sizeof(*fb)))) {
        result = VK_ERROR_OUT_OF_HOST_MEMORY;
    } else {
        void *page = mmap(NULL, VKW_SYNC_PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (page == MAP_FAILED) {
            free(fb);
            result = VK_ERROR_OUT_OF_HOST_MEMORY;
        } else {
            fb->page = page;
            pthread_mutex_init(&fb->lock, NULL);
            pthread_cond_init(&fb->work, NULL);
            ctx->syncfb = fb;
            /* The page starts as the host sees things: nothing finished,
             * and a failure already kept is told. */
            set_flags(fb, vkw_host_deferred_pending(ctx) ? VKW_SYNC_FLAG_DEFERRED : 0);
        }
    }
    close(fd);
    if (reply)
        vkw_write_i32(reply, (int32_t)result);
}

/* SYNC_QUEUE: u64 VkQueue id, u32 slot.  No reply payload. */
void vkw_host_sync_queue(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                         struct vkw_writer *reply)
{
    (void)reply;
    uint64_t queue_id = 0;
    const VkQueue queue =
        VKW_U64_HANDLE(VkQueue, vkw_host_decode_handle(d, VKW_HANDLE_VkQueue, true, &queue_id));
    const uint32_t slot = vkw_read_u32(&d->r);
    if (!vkw_host_memory_decoded(d))
        return;
    struct vkw_host_syncfb *fb = ctx->syncfb;
    if (!fb) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_MSG_SYNC_QUEUE);
        return;
    }
    if (slot >= VKW_SYNC_QUEUE_SLOTS) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_COUNT, slot);
        return;
    }
    struct syncfb_queue *known = queue_of(fb, queue);
    if (known && known->slot == slot)
        return; /* said again: nothing changes */
    if (known || fb->queues[slot]) {
        vkw_reader_fail(&d->r, VKW_ERROR_ID_IN_USE, slot);
        return;
    }
    const struct vkw_object *o = vkw_object_table_find(&ctx->objects, queue_id);
    uint64_t device_host = 0;
    if (!o || !vkw_object_table_lookup(&ctx->objects, o->parent_id, VKW_HANDLE_VkDevice,
                                       &device_host)) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, queue_id); /* a queue has its device */
        return;
    }
    struct syncfb_queue *q = calloc(1, sizeof(*q));
    if (!q) {
        vkw_reader_fail(&d->r, VKW_ERROR_NO_MEMORY, 1);
        return;
    }
    *q = (struct syncfb_queue){.ctx = ctx, .queue = queue,
                               .device = VKW_U64_HANDLE(VkDevice, device_host), .slot = slot};
    pthread_mutex_lock(&fb->lock);
    fb->queues[slot] = q;
    pthread_mutex_unlock(&fb->lock);
    if (pthread_create(&q->thread, NULL, completion_thread, q) != 0) {
        pthread_mutex_lock(&fb->lock);
        fb->queues[slot] = NULL;
        pthread_mutex_unlock(&fb->lock);
        free(q);
        vkw_host_syncfb_stopped(ctx); /* the guest asks the host instead */
    }
}
