/* vkw_guest_requirements — buffer memory requirements answered guest-side.
 *
 * Owns: what decides each live buffer's memory requirements (its device
 * and create info, for the buffers whose create info is plain: no pNext
 * chain, exclusive sharing), and the answers the host gave for each such
 * create info, per device.  Vulkan makes the requirements of a buffer a
 * function of its device and create info (see vkw_guest_requirements.c),
 * so an answer the host gave for one buffer is the answer for every
 * buffer made alike: only the first of them costs a round trip.  Answers
 * go with their device (vkw_guest_requirements_forget_device).
 *
 * The ICD's entry points for vkGetBufferMemoryRequirements(2) and
 * vkGetDeviceBufferMemoryRequirements live here; vkCreateBuffer and
 * vkDestroyBuffer (vkw_guest_memory.c) tell it about buffers.
 * Thread-safe (one lock).
 */
#ifndef VKW_GUEST_REQUIREMENTS_H
#define VKW_GUEST_REQUIREMENTS_H

#include <vulkan/vulkan.h>

/* A buffer was made (`ci` as the application passed it) or destroyed. */
void vkw_guest_requirements_buffer_made(VkDevice device, VkBuffer buffer,
                                        const VkBufferCreateInfo *ci);
void vkw_guest_requirements_buffer_gone(VkBuffer buffer);
/* The device is being destroyed: forget its answers and buffers. */
void vkw_guest_requirements_forget_device(VkDevice device);

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetBufferMemoryRequirements(VkDevice device, VkBuffer buffer,
                                                                VkMemoryRequirements *req);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetBufferMemoryRequirements2(
    VkDevice device, const VkBufferMemoryRequirementsInfo2 *info, VkMemoryRequirements2 *req);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetDeviceBufferMemoryRequirements(
    VkDevice device, const VkDeviceBufferMemoryRequirements *info, VkMemoryRequirements2 *req);

#endif /* VKW_GUEST_REQUIREMENTS_H */
