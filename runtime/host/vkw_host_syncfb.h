/* vkw_host_syncfb — the host's side of the sync status page
 * (runtime/common/vkw_sync_page.h, doc/PROTOCOL.md "Sync status").
 *
 * Owns: the guest's page as the host maps it (written, never read), the
 * SYNC_PAGE and SYNC_QUEUE messages, each registered queue's submission
 * count, and one completion thread per registered queue.  A thread sleeps
 * on a condition variable while its queue has nothing in flight, and in the
 * driver's vkWaitForFences on the queue's oldest in-flight fence
 * (vkw_host_inflight.h) otherwise; when that fence signals it retires it and
 * publishes how many of the queue's submissions have finished, then wakes
 * the guest's sleepers (a futex wake on the page's shared word).  Nothing
 * polls: an idle context costs no CPU.
 *
 * The in-flight lists are shared with the worker: while a page exists,
 * every change to them happens under `lock` (vkw_host_syncfb_lock).
 * Threads are joined before their device's fences are destroyed
 * (vkw_host_syncfb_stop_device) and at teardown (vkw_host_syncfb_free).
 */
#ifndef VKW_HOST_SYNCFB_H
#define VKW_HOST_SYNCFB_H

#include <stdbool.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

struct vkw_host_context;
struct vkw_host_decoder;
struct vkw_writer;
struct vkw_host_syncfb;

/* The message handlers (vkw_host_private_handler). */
void vkw_host_sync_page(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                        struct vkw_writer *reply);
void vkw_host_sync_queue(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                         struct vkw_writer *reply);

/* The in-flight lists' lock (nothing without a page). */
void vkw_host_syncfb_lock(struct vkw_host_context *ctx);
void vkw_host_syncfb_unlock(struct vkw_host_context *ctx);

/* A submission to `queue` reached the driver: its number on the queue's
 * slot (from 1), or 0 when the queue has no slot.  Worker only, unlocked. */
uint64_t vkw_host_syncfb_count_submit(struct vkw_host_context *ctx, VkQueue queue,
                                      uint32_t *slot);
/* New in-flight work on `queue`: wake its thread.  Under the lock. */
void vkw_host_syncfb_kick(struct vkw_host_context *ctx, VkQueue queue);
/* Submission `seq` of `slot` and all before it have finished.  Under the
 * lock. */
void vkw_host_syncfb_publish(struct vkw_host_context *ctx, uint32_t slot, uint64_t seq);
/* Whether a thread is in the driver's wait on `fence` (the worker must
 * leave that entry for it).  Under the lock. */
bool vkw_host_syncfb_waited(const struct vkw_host_context *ctx, VkFence fence);

/* A deferred failure is kept (true) or was reported (false). */
void vkw_host_syncfb_note_deferred(struct vkw_host_context *ctx, bool pending);
/* The host publishes nothing more: the guest must ask. */
void vkw_host_syncfb_stopped(struct vkw_host_context *ctx);
/* Wake the guest's sleepers (a bump of the wake word): a detached call
 * returned (vkw_host_jobs.h).  From any thread, without the context: `fb`
 * lives until vkw_host_syncfb_free, which comes after the jobs' threads
 * ended. */
void vkw_host_syncfb_notify(struct vkw_host_syncfb *fb);

/* Join the threads of `device`'s queues (NULL: all) and free their slots'
 * queues; the slots' counts stay. */
void vkw_host_syncfb_stop_device(struct vkw_host_context *ctx, VkDevice device);
/* Stop everything, unmap the page, free the state. */
void vkw_host_syncfb_free(struct vkw_host_context *ctx);

#endif /* VKW_HOST_SYNCFB_H */
