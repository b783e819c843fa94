/* vkw_host_inflight — queue work a guest submitted that the host has not
 * seen finish.
 *
 * Owns: the hand-written vkQueueSubmit, vkQueueSubmit2 and vkQueueBindSparse
 * (gen/annotations.conf), and the host's own fences that watch them.
 * After the driver takes a guest's submission, the host submits one fence
 * of its own to the same queue, with no work: it signals once everything
 * submitted to that queue before it has finished (Vulkan's submission
 * order).  Those fences, oldest first, with the number of the guest's
 * batches each covers, are the context's work in flight.  Before a
 * submission reaches the driver, the fences that have signalled are retired
 * (each queue's oldest first, never waiting) and the submission is refused
 * with LIMIT (in_flight) if its batches would pass max_in_flight.
 *
 * Signalled fences are reset and kept for reuse.  Every fence is destroyed
 * before its device: vkw_host_inflight_release_device (a guest's
 * vkDestroyDevice, after the device is idle) and vkw_host_inflight_release_all
 * (teardown).  A driver without the fence commands gets no tracking, and no
 * limit.
 */
#ifndef VKW_HOST_INFLIGHT_H
#define VKW_HOST_INFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

struct vkw_host_context;
struct vkw_host_decoder;
struct vkw_args_vkQueueSubmit;
struct vkw_args_vkQueueSubmit2;
struct vkw_args_vkQueueBindSparse;

struct vkw_inflight_fence {
    VkFence fence;
    VkDevice device;
    VkQueue queue;     /* for pending fences */
    uint64_t batches;  /* the guest's batches it watches (pending fences) */
    /* Sync status (vkw_host_syncfb.h): the submission's slot and number on
     * it (seq 0: none); whether a completion thread is in the driver's
     * wait on the fence (the worker then leaves the entry in the list);
     * done: the worker saw it signal while waited (counted, published). */
    uint32_t slot;
    uint64_t seq;
    bool waited, done;
};

struct vkw_host_inflight {
    struct vkw_inflight_fence *pending; /* submission order */
    size_t pending_count, pending_capacity;
    uint64_t batches;                   /* summed over pending */
    struct vkw_inflight_fence *spare;   /* signalled, reset, reusable */
    size_t spare_count, spare_capacity;
};

/* (an all-zero state is valid) */
void vkw_host_inflight_init(struct vkw_host_inflight *f);

void vkw_host_vkQueueSubmit(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                            struct vkw_args_vkQueueSubmit *a);
void vkw_host_vkQueueSubmit2(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                             struct vkw_args_vkQueueSubmit2 *a);
void vkw_host_vkQueueBindSparse(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                struct vkw_args_vkQueueBindSparse *a);

/* With a sync page (vkw_host_syncfb.h) the lists are shared with the
 * completion threads: every function here takes the page's lock, and the
 * two below are the threads' side.  The oldest pending fence of `queue`
 * that the worker has not retired, marked waited; false when none. */
bool vkw_host_inflight_take_oldest(struct vkw_host_context *ctx, VkQueue queue, VkFence *fence,
                                   VkDevice *device);
/* The thread's wait on `fence` ended; retire it when it signalled (or the
 * worker saw it signal meanwhile).  Under the lock. */
void vkw_host_inflight_wait_ended(struct vkw_host_context *ctx, VkFence fence, bool signalled);

/* Retire what has finished (never waits); the batches still in flight. */
uint64_t vkw_host_inflight_poll(struct vkw_host_context *ctx);
/* Destroy the fences of `device`, which must be idle. */
void vkw_host_inflight_release_device(struct vkw_host_context *ctx, VkDevice device);
/* Destroy every fence (every device idle) and free the lists. */
void vkw_host_inflight_release_all(struct vkw_host_context *ctx);

#endif /* VKW_HOST_INFLIGHT_H */
