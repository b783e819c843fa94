/* vkw_icd — the guest driver: its objects, its connection to the host, and
 * the entry points it writes by hand.
 *
 * Owns: the loader-visible dispatchable objects (instance, physical device,
 * device, queue, command buffer), guest-chosen ids, the connection each
 * instance opens (handshake, one call at a time under a mutex, the reply
 * cache for physical-device queries), and the hand-written vkw_icd_*
 * functions gen/annotations.conf names.  generated/vkw_guest_entry.c is the
 * rest of the entry points and calls the functions below.
 */
#ifndef VKW_ICD_H
#define VKW_ICD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#include "vkw_guest_alloc.h"
#include "vkw_guest_handles.h"
#include "vkw_wire.h"

struct vkw_guest_conn;

/* ---- objects ---- */

/* Every dispatchable object the ICD makes starts like this. */
struct vkw_guest_object {
    struct vkw_dispatchable base; /* loader data, then the wire id */
    struct vkw_guest_conn *conn;  /* the connection its calls travel on */
    uint32_t type;                /* enum vkw_handle_type */
    /* The allocator it was made with and is freed through: its owner's
     * (an instance's physical devices, a device's queues, a pool's command
     * buffers); an instance's or device's own copy for those two. */
    const struct vkw_alloc *alloc;
};

/* The connection behind a dispatchable handle. */
static inline struct vkw_guest_conn *vkw_guest_conn_of(const void *dispatchable)
{
    return ((const struct vkw_guest_object *)dispatchable)->conn;
}

/* The physical device a device was created from. */
VkPhysicalDevice vkw_guest_device_physical(VkDevice device);
/* The allocator of everything a device, or an instance, keeps: what its
 * children fall back to when made without one (vkw_guest_alloc.h). */
const struct vkw_alloc *vkw_guest_device_alloc(VkDevice device);
const struct vkw_alloc *vkw_guest_instance_alloc(VkInstance instance);
/* The device's lengths of members sized by its properties (enum
 * vkw_device_length): what generated encoders send of them. */
const uint64_t *vkw_guest_device_lengths(VkDevice device);
/* The device a queue belongs to. */
VkDevice vkw_guest_queue_device(VkQueue queue);
/* The device's i-th queue the application has asked for, or NULL past the
 * last. */
VkQueue vkw_guest_device_queue_at(VkDevice device, size_t i);
/* A fence of the queue's own (made on first use, destroyed with the
 * device) that vkQueueWaitIdle has the queue signal.  The caller has the
 * queue's external synchronisation, as Vulkan requires of queue waits. */
VkResult vkw_guest_queue_idle_fence(VkQueue queue, VkFence *fence);

/* A fresh id for a new object on `conn` (never 0, never reused). */
uint64_t vkw_guest_new_id(struct vkw_guest_conn *conn);
/* A new dispatchable object of `type` with a fresh id, allocated through
 * `alloc` (NULL: none) with `scope`; NULL when out of memory.  An instance
 * or a device keeps a copy of `alloc`; any other object keeps the pointer,
 * which must outlive it (its owner's copy).  Generated code never makes or
 * frees these: the hand-written entry points that create them do, before
 * the command is sent (gen/wire.py requires them). */
void *vkw_guest_new_object(struct vkw_guest_conn *conn, uint32_t type,
                           const struct vkw_alloc *alloc, VkSystemAllocationScope scope);
/* Free the object and what it holds, through the allocator it was made with. */
void vkw_guest_free_object(void *object);

/* ---- calls ---- */

struct vkw_call {
    struct vkw_guest_conn *conn;
    uint32_t serial;
    const int *fds; /* sent beside the message (set after vkw_call_begin);
                     * otherwise the fds the encoder wrote go (vkw_write_fd) */
    size_t nfds;
    /* The application's fds the command imports (sent), for
     * vkw_call_imported. */
    int imported[VKW_WIRE_MAX_FDS];
    uint32_t nimported;
};

/* Lock the connection and return its writer for one command message. */
struct vkw_writer *vkw_call_begin(struct vkw_guest_conn *conn, struct vkw_call *call);
/* Send a command that has no reply, and unlock.  False when the connection
 * is lost. */
bool vkw_call_send(struct vkw_call *call);
/* Send and wait for the reply; a reader over its payload, or NULL when the
 * connection is lost.  With `cacheable`, an identical earlier command's
 * reply is reused without a round trip. */
struct vkw_reader *vkw_call_wait(struct vkw_call *call, bool cacheable);
/* Unlock; false when the call failed (lost connection, bad reply, or
 * bytes of a reply read in parts left unread). */
bool vkw_call_end(struct vkw_call *call, struct vkw_reader *r);
/* Send what the writer holds, after the pending batch, and read the reply
 * to `opcode`/`serial`: the last message in the writer's, where it holds
 * more than one.  Like vkw_call_wait otherwise (no cache). */
struct vkw_reader *vkw_call_exchange(struct vkw_call *call, uint32_t opcode, uint32_t serial);
/* vkw_call_wait for a command that may block on the host (PROTOCOL
 * section 29, vkw_guest_detach.c): sent with DETACH and a COLLECT; while
 * the host has not finished it, the connection is given back to the other
 * threads between looks.  Returns as vkw_call_wait does, the connection
 * held again (the call's serial is then another). */
struct vkw_reader *vkw_call_wait_detached(struct vkw_call *call);

/* After a command that imports fds of the application (vkw_write_fd with
 * `imported`): Vulkan gives them to the driver when it succeeds, so they
 * are closed then; a failure leaves them the application's. */
void vkw_call_imported(struct vkw_call *call, bool succeeded);
/* Give up a command before it is sent, because an fd cannot go (the
 * writer's fds_refused, or an export on a connection whose fds do not
 * travel): one line on stderr, once, naming `command`; unlocks, and
 * returns `result`. */
VkResult vkw_call_refuse(struct vkw_call *call, const char *command, VkResult result);

/* Bulk bytes, which never pass through the writer or the reply buffer:
 *
 * vkw_call_send_bulk sends a command (no reply) whose payload ends with a
 * byte run of `n` bytes at `bulk`: the writer holds the message begun at
 * `at` (vkw_begin_command) up to the run; the header's size is set to count
 * the run and its padding, and the bytes go to the transport from where
 * they lie.  Unlocks, like vkw_call_send.
 *
 * vkw_call_wait_parts sends the command and reads its reply's header and
 * the first `head` payload bytes (a multiple of 4, at most
 * VKW_CALL_HEAD_MAX) into the reader it returns; the rest of the payload
 * stays in the transport for vkw_call_read to put where it belongs, in
 * order.  NULL when the connection is lost (also for a reply shorter than
 * `head`).  vkw_call_end then requires that every byte was read. */
#define VKW_CALL_HEAD_MAX 64u
void vkw_call_send_bulk(struct vkw_call *call, size_t at, const void *bulk, size_t n);
struct vkw_reader *vkw_call_wait_parts(struct vkw_call *call, size_t head);
/* The next `n` bytes of the reply's payload into `dst` (NULL: dropped);
 * false (and the connection lost) when fewer are left or the transport
 * fails. */
bool vkw_call_read(struct vkw_call *call, void *dst, size_t n);

/* ---- hand-written entry points (gen/annotations.conf) ---- */

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateInstance(const VkInstanceCreateInfo *pCreateInfo,
                                                       const VkAllocationCallbacks *pAllocator,
                                                       VkInstance *pInstance);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyInstance(VkInstance instance,
                                                    const VkAllocationCallbacks *pAllocator);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkEnumerateInstanceVersion(uint32_t *pApiVersion);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkEnumerateInstanceExtensionProperties(
    const char *pLayerName, uint32_t *pPropertyCount, VkExtensionProperties *pProperties);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkEnumerateInstanceLayerProperties(
    uint32_t *pPropertyCount, VkLayerProperties *pProperties);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkEnumeratePhysicalDevices(
    VkInstance instance, uint32_t *pPhysicalDeviceCount, VkPhysicalDevice *pPhysicalDevices);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPhysicalDeviceProperties(
    VkPhysicalDevice physicalDevice, VkPhysicalDeviceProperties *pProperties);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPhysicalDeviceProperties2(
    VkPhysicalDevice physicalDevice, VkPhysicalDeviceProperties2 *pProperties);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkEnumerateDeviceExtensionProperties(
    VkPhysicalDevice physicalDevice, const char *pLayerName, uint32_t *pPropertyCount,
    VkExtensionProperties *pProperties);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkEnumerateDeviceLayerProperties(
    VkPhysicalDevice physicalDevice, uint32_t *pPropertyCount, VkLayerProperties *pProperties);
VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkw_icd_vkGetInstanceProcAddr(VkInstance instance,
                                                                      const char *pName);
VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkw_icd_vkGetDeviceProcAddr(VkDevice device,
                                                                    const char *pName);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateDevice(VkPhysicalDevice physicalDevice,
                                                     const VkDeviceCreateInfo *pCreateInfo,
                                                     const VkAllocationCallbacks *pAllocator,
                                                     VkDevice *pDevice);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyDevice(VkDevice device,
                                                  const VkAllocationCallbacks *pAllocator);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetDeviceQueue(VkDevice device, uint32_t queueFamilyIndex,
                                                   uint32_t queueIndex, VkQueue *pQueue);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetDeviceQueue2(VkDevice device,
                                                    const VkDeviceQueueInfo2 *pQueueInfo,
                                                    VkQueue *pQueue);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateDescriptorUpdateTemplate(
    VkDevice device, const VkDescriptorUpdateTemplateCreateInfo *pCreateInfo,
    const VkAllocationCallbacks *pAllocator, VkDescriptorUpdateTemplate *pDescriptorUpdateTemplate);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyDescriptorUpdateTemplate(
    VkDevice device, VkDescriptorUpdateTemplate descriptorUpdateTemplate,
    const VkAllocationCallbacks *pAllocator);
/* Entry points that live with their own modules. */
#include "vkw_guest_buffers.h"
#include "vkw_guest_clocks.h"
#include "vkw_guest_commands.h"
#include "vkw_guest_external.h"
#include "vkw_guest_memory.h"
#include "vkw_guest_queries.h"
#include "vkw_guest_raytracing.h"
#include "vkw_guest_requirements.h"
#include "vkw_guest_sanitize.h"
#include "vkw_guest_sync.h"

#endif /* VKW_ICD_H */
