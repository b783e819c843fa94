/* vkw_guest_memory — the guest's view of host-visible memory.
 *
 * Owns: one record per host-visible VkDeviceMemory (made through the
 * memory's allocator, as is its shadow's heap memory: vkw_guest_alloc.h)
 * and how its bytes reach the application (doc/PROTOCOL.md, "Mapped
 * memory"):
 *   shared  the guest made the pages (a memfd) and the host imported them:
 *           vkMapMemory returns them, nothing is ever copied, HOST_COHERENT
 *           is true coherence;
 *   copied  a shadow of the mapped range (vkw_guest_shadow.h says how it
 *           travels).  For HOST_COHERENT types what the application
 *           changed travels before every queue submission, and after every
 *           wait what the device changed comes back.
 * VKWIRE_MEMORY=copy forces copied mode, VKWIRE_MEMORY=copy-socket copied
 * mode with every byte over the socket.
 *
 * It also knows which memory the device can write at all: memory bound to
 * an image, or to a buffer the device may write through
 * (vkw_guest_buffer_read_only), or named by a sparse binding.  A wait leaves the coherent shadows
 * of all other memory alone.  Thread-safe: one mutex guards the records;
 * byte moves run as ordinary calls on the connection.
 *
 * Budgets (VK_EXT_memory_budget) are asked of the host every time, never
 * answered from the reply cache: they change as memory is used.
 *
 * It also owns the waits (where coherent shadows sync): they hold the
 * connection one 1 ms slice at a time, and the connection serves threads
 * in arrival order, so one thread's wait never stops the others.
 */
#ifndef VKW_GUEST_MEMORY_H
#define VKW_GUEST_MEMORY_H

#include <vulkan/vulkan.h>

struct vkw_guest_conn;

/* Before a queue submission: send what the guest wrote to coherent shadows. */
void vkw_guest_memory_before_submit(struct vkw_guest_conn *conn);
/* After a wait that makes device writes visible: refresh coherent shadows. */
void vkw_guest_memory_after_wait(struct vkw_guest_conn *conn);
/* The connection is closing (vkDestroyInstance): forget the memory the
 * application left allocated on it, as vkFreeMemory would (mappings,
 * shared pages; a host pointer's pages go back to the application).  Its
 * records would otherwise outlive it, and a later connection made at the
 * same address would take them for its own. */
void vkw_guest_memory_forget_conn(struct vkw_guest_conn *conn);

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPhysicalDeviceMemoryProperties2(
    VkPhysicalDevice physicalDevice, VkPhysicalDeviceMemoryProperties2 *pMemoryProperties);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkAllocateMemory(VkDevice device,
                                                       const VkMemoryAllocateInfo *pAllocateInfo,
                                                       const VkAllocationCallbacks *pAllocator,
                                                       VkDeviceMemory *pMemory);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkFreeMemory(VkDevice device, VkDeviceMemory memory,
                                               const VkAllocationCallbacks *pAllocator);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkBindBufferMemory(VkDevice device, VkBuffer buffer,
                                                         VkDeviceMemory memory,
                                                         VkDeviceSize memoryOffset);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkBindBufferMemory2(
    VkDevice device, uint32_t bindInfoCount, const VkBindBufferMemoryInfo *pBindInfos);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkBindImageMemory(VkDevice device, VkImage image,
                                                        VkDeviceMemory memory,
                                                        VkDeviceSize memoryOffset);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkBindImageMemory2(VkDevice device, uint32_t bindInfoCount,
                                                         const VkBindImageMemoryInfo *pBindInfos);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkMapMemory(VkDevice device, VkDeviceMemory memory,
                                                  VkDeviceSize offset, VkDeviceSize size,
                                                  VkMemoryMapFlags flags, void **ppData);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkUnmapMemory(VkDevice device, VkDeviceMemory memory);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkFlushMappedMemoryRanges(
    VkDevice device, uint32_t memoryRangeCount, const VkMappedMemoryRange *pMemoryRanges);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkInvalidateMappedMemoryRanges(
    VkDevice device, uint32_t memoryRangeCount, const VkMappedMemoryRange *pMemoryRanges);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkQueueSubmit(VkQueue queue, uint32_t submitCount,
                                                    const VkSubmitInfo *pSubmits, VkFence fence);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkQueueSubmit2(VkQueue queue, uint32_t submitCount,
                                                     const VkSubmitInfo2 *pSubmits, VkFence fence);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkQueueBindSparse(VkQueue queue, uint32_t bindInfoCount,
                                                        const VkBindSparseInfo *pBindInfo,
                                                        VkFence fence);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkWaitForFences(VkDevice device, uint32_t fenceCount,
                                                      const VkFence *pFences, VkBool32 waitAll,
                                                      uint64_t timeout);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetFenceStatus(VkDevice device, VkFence fence);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkQueueWaitIdle(VkQueue queue);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkDeviceWaitIdle(VkDevice device);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkWaitSemaphores(VkDevice device,
                                                       const VkSemaphoreWaitInfo *pWaitInfo,
                                                       uint64_t timeout);

#endif /* VKW_GUEST_MEMORY_H */
