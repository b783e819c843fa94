/* vkw_guest_requirements — buffer memory requirements answered guest-side.
 *
 * Owns: the answers the host gave for each plain create info (no pNext
 * chain, exclusive sharing), per device; a buffer's create info is its
 * record's (vkw_guest_buffers.h).  Vulkan makes the requirements of a buffer a
 * function of its device and create info (see vkw_guest_requirements.c),
 * so an answer the host gave for one buffer is the answer for every
 * buffer made alike: only the first of them costs a round trip.  Answers
 * go with their device (vkw_guest_requirements_forget_device).
 *
 * The ICD's entry points for vkGetBufferMemoryRequirements(2) and
 * vkGetDeviceBufferMemoryRequirements live here.  Thread-safe (one lock).
 */
#ifndef VKW_GUEST_REQUIREMENTS_H
#define VKW_GUEST_REQUIREMENTS_H

#include <vulkan/vulkan.h>

/* The device is being destroyed: forget its answers. */
void vkw_guest_requirements_forget_device(VkDevice device);

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetBufferMemoryRequirements(VkDevice device, VkBuffer buffer,
                                                                VkMemoryRequirements *req);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetBufferMemoryRequirements2(
    VkDevice device, const VkBufferMemoryRequirementsInfo2 *info, VkMemoryRequirements2 *req);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetDeviceBufferMemoryRequirements(
    VkDevice device, const VkDeviceBufferMemoryRequirements *info, VkMemoryRequirements2 *req);

#endif /* VKW_GUEST_REQUIREMENTS_H */
