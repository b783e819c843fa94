/* vkw_guest_sync — fence, timeline-semaphore and query waits answered from
 * the sync status page (runtime/common/vkw_sync_page.h, doc/PROTOCOL.md
 * "Sync status") instead of round trips.
 *
 * Owns: per connection, the page (a memfd the host writes and the guest
 * reads; the guest writes only its wake word, once, when the connection
 * is lost), the queue slots (one per queue that submitted, numbered
 * submissions per slot, the same count the host keeps), and what the guest
 * knows of each fence (unsignalled, signalled, or signalled once
 * submission N of slot S has finished) and each timeline semaphore (a value
 * reached, and values that submissions will signal).  A wait checks those
 * against the page; while not done it calls vkw_guest_conn_check (the
 * pending batch goes, a host that ended the context or went away is
 * noticed), spins for the transport's spin time and then sleeps on the
 * page's futex word, which the host bumps whenever it publishes.  Whenever
 * the page cannot answer (no page: an old host, a transport without fds,
 * VKWIRE_SYNC=off; an object the guest does not know; the host says a
 * deferred failure is kept or that it publishes no more) the wait goes to
 * the host as before, in slices of at most 1 ms so that it never holds the
 * connection long.
 *
 * A lost connection (doc/PROTOCOL.md 26) answers nothing from the page:
 * waits and status calls return VK_ERROR_DEVICE_LOST, and the thread that
 * lost it wakes every sleeper (conn->sync_wake), so none sleeps on.
 */
#ifndef VKW_GUEST_SYNC_H
#define VKW_GUEST_SYNC_H

#include <stdbool.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

struct vkw_guest_conn;
struct vkw_guest_sync;

/* Free a connection's sync state (its page unmapped). */
void vkw_guest_sync_free(struct vkw_guest_sync *sync);

/* Before a submission is sent on `queue`: number it on the queue's slot
 * (registering the queue first) and note what it signals.  `kind` says
 * what `infos` points at: 1 VkSubmitInfo, 2 VkSubmitInfo2, 3
 * VkBindSparseInfo. */
void vkw_guest_sync_submit(VkQueue queue, int kind, uint32_t count, const void *infos,
                           VkFence fence);
/* A fence's or semaphore's payload crossed an fd (exported or imported,
 * VK_KHR_external_fence_fd / _semaphore_fd): something outside the guest's
 * view may signal or reset it, so its status and waits go to the host
 * from now on, for the rest of its life. */
void vkw_guest_sync_foreign(VkDevice device, uint64_t handle, bool semaphore);
/* `device` (a handle value, no longer dereferenced) is gone, its
 * vkDestroyDevice sent: its queues' slots may serve other queues. */
void vkw_guest_sync_forget_device(struct vkw_guest_conn *conn, VkDevice device);

/* The waits, for vkw_guest_memory.c's entry points (which pull coherent
 * memory after them). */
VkResult vkw_guest_sync_wait_fences(VkDevice device, uint32_t count, const VkFence *fences,
                                    VkBool32 all, uint64_t timeout);
VkResult vkw_guest_sync_fence_status(VkDevice device, VkFence fence);
VkResult vkw_guest_sync_wait_semaphores(VkDevice device, const VkSemaphoreWaitInfo *info,
                                        uint64_t timeout);
/* Sleep until the host publishes progress or `ns` pass (a plain sleep
 * without a page). */
void vkw_guest_sync_pause(struct vkw_guest_conn *conn, uint64_t ns);

/* Hand-written entry points (gen/annotations.conf). */
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkResetFences(VkDevice device, uint32_t fenceCount,
                                                    const VkFence *pFences);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyFence(VkDevice device, VkFence fence,
                                                 const VkAllocationCallbacks *pAllocator);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateSemaphore(VkDevice device,
                                                        const VkSemaphoreCreateInfo *pCreateInfo,
                                                        const VkAllocationCallbacks *pAllocator,
                                                        VkSemaphore *pSemaphore);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroySemaphore(VkDevice device, VkSemaphore semaphore,
                                                     const VkAllocationCallbacks *pAllocator);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkSignalSemaphore(VkDevice device,
                                                        const VkSemaphoreSignalInfo *pSignalInfo);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetSemaphoreCounterValue(VkDevice device,
                                                                 VkSemaphore semaphore,
                                                                 uint64_t *pValue);

#endif /* VKW_GUEST_SYNC_H */
