/* vkw_guest_commands — the guest's command buffers and their pools.
 *
 * Owns: what the guest must know about a command buffer that the wire does
 * not carry: its level (a primary's pInheritanceInfo is ignored by Vulkan
 * and may be garbage, so it is never sent) and its pool (destroying a pool
 * frees its command buffers, so the guest frees their objects too).
 */
#ifndef VKW_GUEST_COMMANDS_H
#define VKW_GUEST_COMMANDS_H

#include <stddef.h>
#include <vulkan/vulkan.h>

/* How much vkw_guest_new_object allocates for a VkCommandBuffer. */
size_t vkw_guest_command_buffer_size(void);

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkAllocateCommandBuffers(
    VkDevice device, const VkCommandBufferAllocateInfo *pAllocateInfo,
    VkCommandBuffer *pCommandBuffers);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkFreeCommandBuffers(VkDevice device, VkCommandPool commandPool,
                                                       uint32_t commandBufferCount,
                                                       const VkCommandBuffer *pCommandBuffers);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyCommandPool(VkDevice device, VkCommandPool commandPool,
                                                       const VkAllocationCallbacks *pAllocator);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkBeginCommandBuffer(VkCommandBuffer commandBuffer,
                                                           const VkCommandBufferBeginInfo *pBeginInfo);

#endif /* VKW_GUEST_COMMANDS_H */
