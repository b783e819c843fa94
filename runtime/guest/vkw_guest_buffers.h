/* vkw_guest_buffers — what the guest knows of each buffer.
 *
 * Owns: a record of every live buffer whose create info the guest can read
 * whole (no pNext chain) and that it has a use for: one with exclusive
 * sharing, whose memory requirements are then a function of its device and
 * create info (vkw_guest_requirements.h), or one through which the device
 * can only read (transfer source, uniform, index, vertex and indirect
 * usage: memory bound to such buffers alone is never pulled back after
 * waits, vkw_guest_memory.h).  A record is made through the buffer's
 * allocator before the buffer is sent, and goes with vkDestroyBuffer (or
 * with its device, when the application left it).  A buffer with a chain,
 * which may say more than the guest reads, has none: it counts as
 * writable, and its requirements are always asked of the host.
 *
 * The ICD's entry points for vkCreateBuffer and vkDestroyBuffer live here.
 * Thread-safe (one lock, never held across a call to the host).
 */
#ifndef VKW_GUEST_BUFFERS_H
#define VKW_GUEST_BUFFERS_H

#include <stdbool.h>
#include <vulkan/vulkan.h>

/* What a record holds of a buffer's create info. */
struct vkw_guest_buffer_info {
    VkDevice device;
    VkBufferCreateFlags flags;
    VkBufferUsageFlags usage;
    VkDeviceSize size;
    VkSharingMode sharing;
};

/* The buffer's record, copied into `out`; false when it has none. */
bool vkw_guest_buffer_info(VkBuffer buffer, struct vkw_guest_buffer_info *out);
/* Whether the device can only read through the buffer (false when the
 * guest cannot tell). */
bool vkw_guest_buffer_read_only(VkBuffer buffer);
/* The device is being destroyed: the records of its buffers go. */
void vkw_guest_buffers_forget_device(VkDevice device);

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateBuffer(VkDevice device,
                                                     const VkBufferCreateInfo *pCreateInfo,
                                                     const VkAllocationCallbacks *pAllocator,
                                                     VkBuffer *pBuffer);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyBuffer(VkDevice device, VkBuffer buffer,
                                                  const VkAllocationCallbacks *pAllocator);

#endif /* VKW_GUEST_BUFFERS_H */
