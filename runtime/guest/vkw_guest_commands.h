/* vkw_guest_commands — the guest's command buffers, their pools and their
 * recorded streams.
 *
 * Owns: what the guest must know about a command buffer that the wire does
 * not carry: its level (a primary's pInheritanceInfo is ignored by Vulkan
 * and may be garbage, so it is never sent), its pool (destroying or
 * resetting a pool reaches its command buffers; the pool's record, made at
 * vkCreateCommandPool, keeps the pool's allocator, which its command
 * buffers and their streams come from), and its stream: the
 * vkCmd* commands recorded since the last send, encoded as ordinary
 * commands.  Vulkan makes the application synchronise a command buffer and
 * its pool, so recording takes no lock; the stream goes to the host in one
 * message at vkEndCommandBuffer, or whenever it reaches
 * VKW_RECORD_CHUNK_BYTES (doc/PROTOCOL.md, "Recorded commands").
 */
#ifndef VKW_GUEST_COMMANDS_H
#define VKW_GUEST_COMMANDS_H

#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#include "vkw_wire.h"

/* A stream this long is sent before recording goes on: what a command
 * buffer holds on the guest stays bounded, however long the recording,
 * and the host records the driver's command buffer while the application
 * still records its own.  A chunk joins the connection's pending batch
 * (doc/PROTOCOL.md, "The pending batch") and leaves with it, at the latest
 * when the batch would pass 256 KiB, so what the host has left to do after
 * vkEndCommandBuffer is bounded by that; 64 KiB is ~1,800 dispatches. */
#define VKW_RECORD_CHUNK_BYTES ((size_t)64 << 10)

/* How much vkw_guest_new_object allocates for a VkCommandBuffer. */
size_t vkw_guest_command_buffer_size(void);
/* Free what a command buffer object holds besides itself (its stream,
 * from its pool's allocator like the object). */
void vkw_guest_command_buffer_release(void *command_buffer);

/* Generated vkCmd* entry points: the writer to append the command `opcode`
 * to (NULL when it must not be recorded: the connection is lost or the
 * host does not know the opcode), then vkw_guest_recorded once it is
 * appended, which sends a full chunk. */
struct vkw_writer *vkw_guest_record(VkCommandBuffer command_buffer, uint32_t opcode);
void vkw_guest_recorded(VkCommandBuffer command_buffer);

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateCommandPool(
    VkDevice device, const VkCommandPoolCreateInfo *pCreateInfo,
    const VkAllocationCallbacks *pAllocator, VkCommandPool *pCommandPool);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkAllocateCommandBuffers(
    VkDevice device, const VkCommandBufferAllocateInfo *pAllocateInfo,
    VkCommandBuffer *pCommandBuffers);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkFreeCommandBuffers(VkDevice device, VkCommandPool commandPool,
                                                       uint32_t commandBufferCount,
                                                       const VkCommandBuffer *pCommandBuffers);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyCommandPool(VkDevice device, VkCommandPool commandPool,
                                                       const VkAllocationCallbacks *pAllocator);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkResetCommandPool(VkDevice device,
                                                         VkCommandPool commandPool,
                                                         VkCommandPoolResetFlags flags);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkBeginCommandBuffer(VkCommandBuffer commandBuffer,
                                                           const VkCommandBufferBeginInfo *pBeginInfo);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkEndCommandBuffer(VkCommandBuffer commandBuffer);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkResetCommandBuffer(VkCommandBuffer commandBuffer,
                                                           VkCommandBufferResetFlags flags);
/* The device-generated commands' preprocessing reads another command
 * buffer's state: both streams go to the host at once, state first. */
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkCmdPreprocessGeneratedCommandsEXT(
    VkCommandBuffer commandBuffer, const VkGeneratedCommandsInfoEXT *pGeneratedCommandsInfo,
    VkCommandBuffer stateCommandBuffer);

#endif /* VKW_GUEST_COMMANDS_H */
