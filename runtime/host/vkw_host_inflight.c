/* vkw_host_inflight — see vkw_host_inflight.h. */
#include "vkw_host_inflight.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vkw_handles.h"
#include "vkw_host_context.h"
#include "vkw_host_decode.h"
#include "vkw_host_syncfb.h"
#include "vkw_vulkan_util.h"

/* Queues whose oldest pending fence has not signalled, remembered while
 * polling: their later fences cannot have signalled either, so they are
 * not asked.  Past this many queues the rest wait for the next poll. */
#define VKW_POLL_QUEUES 16u

void vkw_host_inflight_init(struct vkw_host_inflight *f)
{
    memset(f, 0, sizeof(*f));
}

static bool can_track(const struct vkw_host_context *ctx)
{
    const struct vkw_driver_table *vk = &ctx->vk;
    return vk->vkQueueSubmit && vk->vkCreateFence && vk->vkDestroyFence && vk->vkGetFenceStatus &&
           vk->vkResetFences;
}

static bool grow(struct vkw_inflight_fence **list, size_t count, size_t *capacity)
{
    if (count < *capacity)
        return true;
    const size_t cap = *capacity ? *capacity * 2 : 16;
    struct vkw_inflight_fence *p = realloc(*list, cap * sizeof(*p));
    if (!p)
        return false;
    *list = p;
    *capacity = cap;
    return true;
}

/* Keep a fence that is not pending (signalled, or never submitted) for the
 * next submission to its device; destroy it if it cannot be kept. */
static void to_spare(struct vkw_host_context *ctx, VkFence fence, VkDevice device)
{
    struct vkw_host_inflight *f = &ctx->inflight;
    if (ctx->vk.vkResetFences(device, 1, &fence) == VK_SUCCESS &&
        grow(&f->spare, f->spare_count, &f->spare_capacity)) {
        f->spare[f->spare_count++] = (struct vkw_inflight_fence){.fence = fence, .device = device};
        return;
    }
    ctx->vk.vkDestroyFence(device, fence, NULL);
}

static VkFence take_fence(struct vkw_host_context *ctx, VkDevice device)
{
    struct vkw_host_inflight *f = &ctx->inflight;
    for (size_t i = f->spare_count; i-- > 0;) {
        if (f->spare[i].device == device) {
            const VkFence fence = f->spare[i].fence;
            f->spare[i] = f->spare[--f->spare_count];
            return fence;
        }
    }
    const VkFenceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence = VK_NULL_HANDLE;
    if (ctx->vk.vkCreateFence(device, &ci, NULL, &fence) != VK_SUCCESS)
        return VK_NULL_HANDLE;
    return fence;
}

/* A pending entry has finished: count it out and publish it. */
static void finished(struct vkw_host_context *ctx, const struct vkw_inflight_fence *e)
{
    ctx->inflight.batches -= e->batches;
    if (e->seq)
        vkw_host_syncfb_publish(ctx, e->slot, e->seq);
}

static uint64_t poll_locked(struct vkw_host_context *ctx)
{
    struct vkw_host_inflight *f = &ctx->inflight;
    VkQueue blocked[VKW_POLL_QUEUES];
    size_t nblocked = 0, keep = 0;
    bool full = false;
    for (size_t i = 0; i < f->pending_count; i++) {
        struct vkw_inflight_fence e = f->pending[i];
        if (e.done) { /* counted; its thread retires it */
            f->pending[keep++] = e;
            continue;
        }
        bool waiting = full;
        for (size_t k = 0; k < nblocked && !waiting; k++)
            waiting = blocked[k] == e.queue;
        if (!waiting && ctx->vk.vkGetFenceStatus(e.device, e.fence) == VK_SUCCESS) {
            finished(ctx, &e);
            if (!e.waited) {
                to_spare(ctx, e.fence, e.device);
                continue;
            }
            e.done = true; /* a thread waits on it: it resets and keeps it */
            f->pending[keep++] = e;
            continue;
        }
        if (!waiting) {
            if (nblocked < VKW_POLL_QUEUES)
                blocked[nblocked++] = e.queue;
            else
                full = true;
        }
        f->pending[keep++] = e;
    }
    f->pending_count = keep;
    return f->batches;
}

uint64_t vkw_host_inflight_poll(struct vkw_host_context *ctx)
{
    vkw_host_syncfb_lock(ctx);
    const uint64_t batches = poll_locked(ctx);
    vkw_host_syncfb_unlock(ctx);
    return batches;
}

bool vkw_host_inflight_take_oldest(struct vkw_host_context *ctx, VkQueue queue, VkFence *fence,
                                   VkDevice *device)
{
    struct vkw_host_inflight *f = &ctx->inflight;
    for (size_t i = 0; i < f->pending_count; i++) {
        struct vkw_inflight_fence *e = &f->pending[i];
        if (e->queue != queue || e->done)
            continue;
        e->waited = true;
        *fence = e->fence;
        *device = e->device;
        return true;
    }
    return false;
}

void vkw_host_inflight_wait_ended(struct vkw_host_context *ctx, VkFence fence, bool signalled)
{
    struct vkw_host_inflight *f = &ctx->inflight;
    for (size_t i = 0; i < f->pending_count; i++) {
        struct vkw_inflight_fence e = f->pending[i];
        if (e.fence != fence)
            continue;
        f->pending[i].waited = false;
        if (!signalled && !e.done)
            return;
        if (!e.done)
            finished(ctx, &e);
        memmove(&f->pending[i], &f->pending[i + 1], (f->pending_count - i - 1) * sizeof(e));
        f->pending_count--;
        to_spare(ctx, e.fence, e.device);
        return;
    }
}

/* What a submission needs before it reaches the driver: room under the
 * limit, and a fence and a list entry for it (so that tracking it after
 * the driver took it cannot fail).  `*fence` stays VK_NULL_HANDLE when
 * the submission is not tracked. */
static bool before_submit(struct vkw_host_context *ctx, struct vkw_host_decoder *d, VkQueue queue,
                          uint64_t batches, VkFence *fence, VkDevice *device)
{
    *fence = VK_NULL_HANDLE;
    *device = VK_NULL_HANDLE;
    if (!can_track(ctx))
        return true;
    const struct vkw_object *q = vkw_object_table_find(
        &ctx->objects,
        vkw_object_table_id_of(&ctx->objects, VKW_HANDLE_VkQueue, VKW_HANDLE_U64(queue)));
    uint64_t device_host = 0;
    if (!q || !vkw_object_table_lookup(&ctx->objects, q->parent_id, VKW_HANDLE_VkDevice,
                                       &device_host))
        return true; /* a queue always has its device: not reached */
    struct vkw_host_inflight *f = &ctx->inflight;
    vkw_host_syncfb_lock(ctx);
    const uint64_t in_flight = poll_locked(ctx), max = ctx->limits.max_in_flight;
    bool ok = true;
    if (batches > max || in_flight > max - batches) {
        vkw_reader_fail(&d->r, VKW_ERROR_LIMIT, VKW_LIMIT_IN_FLIGHT);
        ok = false;
    } else if (!grow(&f->pending, f->pending_count, &f->pending_capacity)) {
        vkw_reader_fail(&d->r, VKW_ERROR_NO_MEMORY, f->pending_count + 1);
        ok = false;
    } else {
        *device = VKW_U64_HANDLE(VkDevice, device_host);
        *fence = take_fence(ctx, *device);
    }
    vkw_host_syncfb_unlock(ctx);
    if (!ok)
        return false;
    if (*fence == VK_NULL_HANDLE) {
        vkw_reader_fail(&d->r, VKW_ERROR_NO_MEMORY, 1); /* the driver has no fence for us */
        return false;
    }
    return true;
}

/* The guest's submission went to the driver with `result`: watch it. */
static void after_submit(struct vkw_host_context *ctx, VkQueue queue, VkResult result,
                         uint64_t batches, VkFence fence, VkDevice device)
{
    if (fence == VK_NULL_HANDLE)
        return;
    /* Every submission the guest made counts on its queue's slot, failed
     * ones too: the guest numbers them the same way. */
    uint32_t slot = 0;
    const uint64_t seq = vkw_host_syncfb_count_submit(ctx, queue, &slot);
    /* A failed submission did not happen; a fence that could not be
     * submitted is unchanged (Vulkan's rule for a failing vkQueueSubmit). */
    const bool watched = result >= 0 && ctx->vk.vkQueueSubmit(queue, 0, NULL, fence) == VK_SUCCESS;
    vkw_host_syncfb_lock(ctx);
    if (!watched) {
        to_spare(ctx, fence, device);
    } else {
        struct vkw_host_inflight *f = &ctx->inflight;
        f->pending[f->pending_count++] = (struct vkw_inflight_fence){
            .fence = fence, .device = device, .queue = queue, .batches = batches,
            .slot = slot, .seq = seq};
        f->batches += batches;
        vkw_host_syncfb_kick(ctx, queue);
    }
    vkw_host_syncfb_unlock(ctx);
}

/* A call with no batches (a fence alone) still counts as one. */
static uint64_t batches_of(uint32_t count)
{
    return count ? count : 1;
}

void vkw_host_vkQueueSubmit(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                            struct vkw_args_vkQueueSubmit *a)
{
    if (!ctx->vk.vkQueueSubmit) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkQueueSubmit);
        return;
    }
    for (uint32_t i = 0; a->pSubmits && i < a->submitCount; i++)
        for (uint32_t j = 0; j < a->pSubmits[i].commandBufferCount; j++)
            if (!vkw_host_recording_executable(ctx, d, a->pSubmits[i].pCommandBuffers[j]))
                return;
    const uint64_t batches = batches_of(a->submitCount);
    VkFence fence;
    VkDevice device;
    if (!before_submit(ctx, d, a->queue, batches, &fence, &device))
        return;
    a->result = ctx->vk.vkQueueSubmit(a->queue, a->submitCount, a->pSubmits, a->fence);
    after_submit(ctx, a->queue, a->result, batches, fence, device);
}

void vkw_host_vkQueueSubmit2(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                             struct vkw_args_vkQueueSubmit2 *a)
{
    if (!ctx->vk.vkQueueSubmit2) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkQueueSubmit2);
        return;
    }
    for (uint32_t i = 0; a->pSubmits && i < a->submitCount; i++)
        for (uint32_t j = 0; j < a->pSubmits[i].commandBufferInfoCount; j++)
            if (!vkw_host_recording_executable(ctx, d,
                                               a->pSubmits[i].pCommandBufferInfos[j].commandBuffer))
                return;
    const uint64_t batches = batches_of(a->submitCount);
    VkFence fence;
    VkDevice device;
    if (!before_submit(ctx, d, a->queue, batches, &fence, &device))
        return;
    a->result = ctx->vk.vkQueueSubmit2(a->queue, a->submitCount, a->pSubmits, a->fence);
    after_submit(ctx, a->queue, a->result, batches, fence, device);
}

void vkw_host_vkQueueBindSparse(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                struct vkw_args_vkQueueBindSparse *a)
{
    if (!ctx->vk.vkQueueBindSparse) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkQueueBindSparse);
        return;
    }
    const uint64_t batches = batches_of(a->bindInfoCount);
    VkFence fence;
    VkDevice device;
    if (!before_submit(ctx, d, a->queue, batches, &fence, &device))
        return;
    a->result = ctx->vk.vkQueueBindSparse(a->queue, a->bindInfoCount, a->pBindInfo, a->fence);
    after_submit(ctx, a->queue, a->result, batches, fence, device);
}

/* Destroy the fences of `device` (all devices when it is NULL) in `list`. */
static size_t destroy_fences(struct vkw_host_context *ctx, struct vkw_inflight_fence *list,
                             size_t count, VkDevice device, uint64_t *batches)
{
    size_t keep = 0;
    for (size_t i = 0; i < count; i++) {
        if (device && list[i].device != device) {
            list[keep++] = list[i];
            continue;
        }
        ctx->vk.vkDestroyFence(list[i].device, list[i].fence, NULL);
        if (batches)
            *batches -= list[i].batches;
    }
    return keep;
}

void vkw_host_inflight_release_device(struct vkw_host_context *ctx, VkDevice device)
{
    struct vkw_host_inflight *f = &ctx->inflight;
    if (!device || !ctx->vk.vkDestroyFence)
        return;
    vkw_host_syncfb_stop_device(ctx, device); /* no thread waits on them now */
    vkw_host_syncfb_lock(ctx); /* other devices' threads may still run */
    f->pending_count = destroy_fences(ctx, f->pending, f->pending_count, device, &f->batches);
    f->spare_count = destroy_fences(ctx, f->spare, f->spare_count, device, NULL);
    vkw_host_syncfb_unlock(ctx);
}

void vkw_host_inflight_release_all(struct vkw_host_context *ctx)
{
    struct vkw_host_inflight *f = &ctx->inflight;
    vkw_host_syncfb_stop_device(ctx, VK_NULL_HANDLE);
    if (ctx->vk.vkDestroyFence) {
        destroy_fences(ctx, f->pending, f->pending_count, VK_NULL_HANDLE, NULL);
        destroy_fences(ctx, f->spare, f->spare_count, VK_NULL_HANDLE, NULL);
    }
    free(f->pending);
    free(f->spare);
    vkw_host_inflight_init(f);
}
